// certbench bench: the Google Benchmark programs on prepared datasets: bench_listing and
// bench_caching.
#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/errors.hpp"
#include "certbench/db/embedded_postgres.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/sys/shutdown.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace {

// The value of Google Benchmark's flag `name` as the programs will see it: the last --name=VALUE,
// else the environment variable Google Benchmark also reads ($BENCHMARK_FORMAT for
// benchmark_format), else none.
std::optional<std::string> flag_value(const std::vector<std::string>& flags, std::string_view name) {
  std::optional<std::string> value;
  std::string env(name);
  for (auto& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (const char* e = std::getenv(env.c_str())) value = e;
  const std::string prefix = "--" + std::string(name) + "=";
  for (const auto& f : flags)
    if (f.starts_with(prefix)) value = f.substr(prefix.size());
  return value;
}

// FILE with ".<suite>" before its extension: results.json -> results.listing.json.
std::string suite_file(const std::string& file, std::string_view suite) {
  std::filesystem::path p(file);
  return p.replace_filename(p.stem().string() + "." + std::string(suite) + p.extension().string()).string();
}

}  // namespace

int bench(const BenchArgs& args) {
  // Google Benchmark's output flags, before any work: left to the programs, a bad format prints
  // their usage text and exits 0.
  for (std::string_view name : {"benchmark_format", "benchmark_out_format"})
    if (auto v = flag_value(args.benchmark_flags, name); v && *v != "console" && *v != "json" && *v != "csv")
      throw UsageError(fmt::format("--{} must be console, json or csv (got '{}')", name, *v));
  const bool both = args.listing && args.caching;
  const auto format = flag_value(args.benchmark_flags, "benchmark_format").value_or("console");
  if (both && format != "console")
    throw UsageError(fmt::format("--benchmark_format={} on stdout is one program's document: add --suite listing "
                                 "or --suite caching (or keep the console and add --benchmark_out=FILE)",
                                 format));
  // Two programs must not write one --benchmark_out file (the second would replace the first).
  std::vector<std::string> listing_out, caching_out;
  if (const auto out = flag_value(args.benchmark_flags, "benchmark_out"); both && out && !out->empty()) {
    listing_out.push_back("--benchmark_out=" + suite_file(*out, "listing"));
    caching_out.push_back("--benchmark_out=" + suite_file(*out, "caching"));
    note(fmt::format("--benchmark_out: the listing runs go to {}, the caching runs to {}", suite_file(*out, "listing"),
                     suite_file(*out, "caching")));
  }

  // The datasets are worth keeping (1M certificates take a while to seed): unless a server is
  // named, use the persistent embedded cluster, and stop it afterwards if we started it.
  std::string dsn;
  std::optional<db::DatabaseTarget> named;
  std::optional<sys::ScopedCleanup> started;  // stops the server if this command started it
  if (db::server_named(args.target)) {
    named = db::DatabaseTarget::resolve(args.target, note);
    dsn = named->dsn();
  } else {
    const auto dir = args.target.data_dir.empty() ? db::EmbeddedPostgres::default_data_dir()
                                                  : std::filesystem::path(args.target.data_dir);
    const bool was_running = db::EmbeddedPostgres::status(dir).has_value();
    auto cluster = db::EmbeddedPostgres::up(dir);
    dsn = cluster.dsn();
    if (!was_running) started.emplace([dir] { db::EmbeddedPostgres::down(dir); });
    note(fmt::format("datasets live in {} (kept between runs{})", dir.string(),
                     was_running ? "; the server stays up, as it was" : "; the server is stopped after the run"));
  }

  for (auto scale : args.scales) {
    SeedProgressLine progress;
    fixtures::SeedOptions o;
    o.spec = {scale, 42, fixtures::IndexSet::best};
    o.schema = "bench_" + std::to_string(scale);
    auto report = fixtures::seed(dsn, o, std::ref(progress), note);
    progress.clear();
    note(fmt::format("dataset of {} certificates {}", thousands(scale),
                     report.reused ? "ready" : fmt::format("seeded in {:.1f} s", report.seconds)));
  }

  // Google Benchmark's flags go to the programs as they are: its reporters colour the console only
  // when stdout is a terminal (--benchmark_color=auto), and print the format asked for.
  std::vector<std::string> common;
  if (args.goals) common.push_back("--certbench_goals");
  common.insert(common.end(), args.benchmark_flags.begin(), args.benchmark_flags.end());

  int status = 0;
  auto run_program = [&](std::vector<std::string> argv, const std::vector<std::string>& own_flags) {
    argv.insert(argv.end(), common.begin(), common.end());
    argv.insert(argv.end(), own_flags.begin(), own_flags.end());  // after the user's: the last one counts
    sys::SpawnOptions o;
    o.argv = std::move(argv);
    const int code = sys::wait_for_exit(sys::spawn(o));
    if (status == 0) status = code;
  };
  // The runs as results.json, one file per program, when asked.
  if (!args.results.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.results, ec);
    if (ec || !std::filesystem::is_directory(args.results))
      throw InputError("--results " + args.results + ": cannot make the folder (" + ec.message() + ")");
    listing_out.push_back("--certbench_results=" + (std::filesystem::path(args.results) / "listing.results.json").string());
    caching_out.push_back("--certbench_results=" + (std::filesystem::path(args.results) / "caching.results.json").string());
  }
  if (args.listing) {
    std::string scales;
    for (auto s : args.scales) scales += (scales.empty() ? "" : ",") + std::to_string(s);
    run_program({CERTBENCH_BENCH_LISTING, "--certbench_dsn=" + dsn, "--certbench_scales=" + scales,
                 "--certbench_naive_max=" + std::to_string(args.naive_max)},
                listing_out);
  }
  if (args.caching) {  // on the largest dataset: the most templates and spas
    std::vector<std::string> argv{CERTBENCH_BENCH_CACHING, "--certbench_dsn=" + dsn,
                                  "--certbench_scale=" + std::to_string(args.scales.back())};
    if (!args.redis.empty()) argv.push_back("--certbench_redis=" + args.redis);
    run_program(std::move(argv), caching_out);
  }
  return status;
}

}  // namespace certbench::cli
