// certbench seed: build (or reuse) a dataset.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace certbench::cli {

std::uint64_t parse_count(const std::string& text, const std::string& option) {
  std::uint64_t multiplier = 1;
  std::string digits = text;
  if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) multiplier = 1'000;
  if (!digits.empty() && (digits.back() == 'm' || digits.back() == 'M')) multiplier = 1'000'000;
  if (multiplier != 1) digits.pop_back();
  if (digits.empty() || digits.size() > 12 ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    throw UsageError(option + " takes a whole number, optionally with k or M (got '" + text + "')");
  return std::stoull(digits) * multiplier;
}

int seed(const SeedArgs& args) {
  args.spec.validate();
  auto target = db::DatabaseTarget::resolve(args.target, note);
  fixtures::SeedReport report;
  {
    SeedProgressLine progress;
    report = fixtures::seed(target.dsn(), {args.spec, args.schema, args.force, args.jobs},
                            std::ref(progress), note);
  }
  if (args.json) {
    nlohmann::json tables = nlohmann::json::object();
    for (const auto& t : report.tables)
      tables[t.name] = {{"rows", t.rows}, {"table_bytes", t.table_bytes}, {"index_bytes", t.index_bytes}};
    nlohmann::json stages = nlohmann::json::object();
    for (const auto& st : report.stages) stages[st.stage] = st.seconds;
    nlohmann::json out = {{"status", report.reused ? "ready" : "seeded"},
                          {"schema", args.schema},
                          {"scale", args.spec.scale},
                          {"seed", args.spec.seed},
                          {"indexes", fixtures::to_string(args.spec.indexes)},
                          {"seconds", report.seconds},
                          {"table_bytes", report.table_bytes()},
                          {"rows", report.rows()},
                          {"stages_seconds", stages},
                          {"tables", tables}};
    fmt::print("{}\n", out.dump());
  } else if (report.reused) {
    fmt::print("dataset ready: scale {}, seed {}, indexes {} in schema {} ({} of table data)\n",
               thousands(args.spec.scale), args.spec.seed, fixtures::to_string(args.spec.indexes),
               args.schema, megabytes(report.table_bytes()));
  } else {
    fmt::print("seeded {} certificates ({} rows in {} tables, {} of table data) into schema {} "
               "with indexes {} in {:.2f} s: {:.1f} MB/s\n",
               thousands(args.spec.scale), thousands(report.rows()), report.tables.size(),
               megabytes(report.table_bytes()), args.schema, fixtures::to_string(args.spec.indexes),
               report.seconds, static_cast<double>(report.table_bytes()) / 1e6 / report.seconds);
  }
  return 0;
}

}  // namespace certbench::cli
