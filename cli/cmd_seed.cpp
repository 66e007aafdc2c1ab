// certbench seed: build (or reuse) a dataset.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "commands.hpp"
#include "options.hpp"
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
  args.dataset.spec.validate();
  auto target = db::DatabaseTarget::resolve(args.dataset.target, note);
  fixtures::SeedReport report;
  {
    SeedProgressLine progress;
    report = fixtures::seed(target.dsn(), {args.dataset.spec, args.dataset.schema, args.force, args.jobs},
                            std::ref(progress), note);
  }
  if (args.json) {
    nlohmann::json tables = nlohmann::json::object();
    for (const auto& t : report.tables)
      tables[t.name] = {{"rows", t.rows}, {"table_bytes", t.table_bytes}, {"index_bytes", t.index_bytes}};
    nlohmann::json stages = nlohmann::json::object();
    for (const auto& st : report.stages) stages[st.stage] = st.seconds;
    nlohmann::json out = {{"status", report.reused ? "ready" : "seeded"},
                          {"schema", args.dataset.schema},
                          {"scale", args.dataset.spec.scale},
                          {"seed", args.dataset.spec.seed},
                          {"indexes", fixtures::to_string(args.dataset.spec.indexes)},
                          {"seconds", report.seconds},
                          {"table_bytes", report.table_bytes()},
                          {"rows", report.rows()},
                          {"stages_seconds", stages},
                          {"tables", tables}};
    fmt::print("{}\n", out.dump());
  } else if (report.reused) {
    fmt::print("dataset ready: scale {}, seed {}, indexes {} in schema {} ({} of table data)\n",
               thousands(args.dataset.spec.scale), args.dataset.spec.seed, fixtures::to_string(args.dataset.spec.indexes),
               args.dataset.schema, megabytes(report.table_bytes()));
  } else {
    fmt::print("seeded {} certificates ({} rows in {} tables, {} of table data) into schema {} "
               "with indexes {} in {:.2f} s: {:.1f} MB/s\n",
               thousands(args.dataset.spec.scale), thousands(report.rows()), report.tables.size(),
               megabytes(report.table_bytes()), args.dataset.schema, fixtures::to_string(args.dataset.spec.indexes),
               report.seconds, static_cast<double>(report.table_bytes()) / 1e6 / report.seconds);
  }
  return 0;
}

Command add_seed(CLI::App& app) {
  struct State {
    SeedArgs args;
    DatasetOptions options;
  };
  auto st = std::make_shared<State>();
  auto* sub = app.add_subcommand("seed", "build the dataset in certbench's schema (reused when it is already there)");
  st->options.add(*sub, st->args.dataset, true);
  sub->add_flag("--force", st->args.force, "drop a schema of that name that certbench did not create");
  sub->add_flag("--json", st->args.json, "print the result as one JSON object");
  sub->add_option("--jobs", st->args.jobs, "connections loading tables in parallel (default: one per core, at most 4)")
      ->type_name("N")
      ->check(CLI::Range(1, 16));
  return {sub, [st] {
            st->options.finish();
            return seed(st->args);
          }};
}

}  // namespace certbench::cli
