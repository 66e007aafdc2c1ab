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
#include "certbench/reports/gbench_flags.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/sys/shutdown.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace {

// FILE with ".<suite>" before its extension: results.json -> results.listing.json.
std::string suite_file(const std::string& file, std::string_view suite) {
  std::filesystem::path p(file);
  return p.replace_filename(p.stem().string() + "." + std::string(suite) + p.extension().string()).string();
}

}  // namespace

int bench(const BenchArgs& args) {
  // Google Benchmark's output flags, before any work: left to the programs, a bad format prints
  // their usage text and exits 0.
  if (const auto problem = reports::gbench_format_problem(args.benchmark_flags)) throw UsageError(*problem);
  const bool both = args.listing && args.caching;
  const auto format = reports::gbench_flag(args.benchmark_flags, "benchmark_format").value_or("console");
  if (both && format != "console")
    throw UsageError(fmt::format("--benchmark_format={} on stdout is one program's document: add --suite listing "
                                 "or --suite caching (or keep the console and add --benchmark_out=FILE)",
                                 format));
  // Two programs must not write one --benchmark_out file (the second would replace the first).
  std::vector<std::string> listing_out, caching_out;
  if (const auto out = reports::gbench_flag(args.benchmark_flags, "benchmark_out"); both && out && !out->empty()) {
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

Command add_bench(CLI::App& app) {
  struct State {
    BenchArgs args;
    std::string scales = "1k,10k,100k,1M", naive_max = "1M", suite = "all";
  };
  auto st = std::make_shared<State>();
  auto& a = st->args;
  auto* sub = app.add_subcommand("bench", "the benchmarks (Google Benchmark) on datasets it seeds once and keeps");
  sub->add_option("--suite", st->suite,
                  "listing (the listing functions at every scale), caching (templates, spas and "
                  "prepare_certificate_data, on the largest dataset) or all")
      ->type_name("listing|caching|all")
      ->check(CLI::IsMember({"listing", "caching", "all"}))
      ->capture_default_str();
  sub->add_option("--scales", st->scales, "dataset sizes, comma-separated")->type_name("LIST")->capture_default_str();
  sub->add_option("--naive-max", st->naive_max, "skip the naive implementation above this scale (each call loads every row)")
      ->type_name("N")
      ->capture_default_str();
  sub->add_option("--redis", a.redis, "the Redis of the redis cache variant (default: an embedded redis-server, stopped afterwards)")
      ->type_name("URL");
  sub->add_flag("--goals", a.goals, "after the run, judge the claims table's goals (results/claims.json) on its figures");
  sub->add_option("--results", a.results,
                  "write each suite's runs as results.json into DIR (listing.results.json, caching.results.json)")
      ->type_name("DIR");
  add_target_options(*sub, a.target);
  sub->allow_extras();
  sub->footer("Other flags go to Google Benchmark, e.g. --benchmark_filter=public "
              "--benchmark_repetitions=9 --benchmark_format=json --benchmark_out=results.json.\n"
              "With both suites (the default), stdout is the console format and --benchmark_out=F.json "
              "writes F.listing.json and F.caching.json; with --goals the verdicts follow on stdout, "
              "or on stderr when stdout is JSON or CSV.\n"
              "Without --dsn the datasets live in the persistent embedded cluster "
              "(/var/tmp/certbench-UID/pgdata or --data-dir), started for the run and stopped after it.");
  return {sub, [st, sub] {
            auto& args = st->args;
            args.scales = parse_scales(st->scales);
            args.naive_max = parse_count(st->naive_max, "--naive-max");
            if (!args.redis.empty()) redis::Endpoint::parse(args.redis);
            args.listing = st->suite != "caching";
            args.caching = st->suite != "listing";
            args.benchmark_flags = sub->remaining();
            for (const auto& flag : args.benchmark_flags)
              if (!flag.starts_with("--benchmark_"))
                throw UsageError("unknown option " + flag + " (Google Benchmark's flags start with --benchmark_)");
            return bench(args);
          }};
}

}  // namespace certbench::cli
