// certbench bench: the Google Benchmark programs on prepared datasets: bench_listing (issue #3)
// and bench_caching (issue #4).
#include <fmt/format.h>

#include "certbench/db/embedded_postgres.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/sys/shutdown.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace certbench::cli {

int bench(const BenchArgs& args) {
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
  auto run_program = [&](std::vector<std::string> argv) {
    argv.insert(argv.end(), common.begin(), common.end());
    sys::SpawnOptions o;
    o.argv = std::move(argv);
    const int code = sys::wait_for_exit(sys::spawn(o));
    if (status == 0) status = code;
  };
  if (args.listing) {
    std::string scales;
    for (auto s : args.scales) scales += (scales.empty() ? "" : ",") + std::to_string(s);
    run_program({CERTBENCH_BENCH_LISTING, "--certbench_dsn=" + dsn, "--certbench_scales=" + scales,
                 "--certbench_naive_max=" + std::to_string(args.naive_max)});
  }
  if (args.caching) {  // on the largest dataset: the most templates and spas
    std::vector<std::string> argv{CERTBENCH_BENCH_CACHING, "--certbench_dsn=" + dsn,
                                  "--certbench_scale=" + std::to_string(args.scales.back())};
    if (!args.redis.empty()) argv.push_back("--certbench_redis=" + args.redis);
    run_program(std::move(argv));
  }
  return status;
}

}  // namespace certbench::cli
