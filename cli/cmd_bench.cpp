// certbench bench: the Google Benchmark programs on prepared datasets (issue #3: the listings).
#include <algorithm>
#include <fmt/format.h>
#include <unistd.h>

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
  std::string dsn = args.target.dsn;
  std::optional<db::DatabaseTarget> named;
  std::optional<std::filesystem::path> started_dir;
  if (!dsn.empty() || std::getenv("DATABASE_URL") != nullptr || std::getenv("PGHOST") != nullptr) {
    named = db::DatabaseTarget::resolve(args.target, note);
    dsn = named->dsn();
  } else {
    const auto dir = args.target.data_dir.empty() ? db::EmbeddedPostgres::default_data_dir()
                                                  : std::filesystem::path(args.target.data_dir);
    const bool was_running = db::EmbeddedPostgres::status(dir).has_value();
    auto cluster = db::EmbeddedPostgres::up(dir);
    dsn = cluster.dsn();
    if (!was_running) {
      started_dir = dir;
      sys::register_cleanup([dir] { db::EmbeddedPostgres::down(dir); });
    }
    note(fmt::format("datasets live in {} (kept between runs; certbench db down{} stops the server)",
                     dir.string(), args.target.data_dir.empty() ? "" : " --data-dir " + args.target.data_dir));
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

  std::string scales;
  for (auto s : args.scales) scales += (scales.empty() ? "" : ",") + std::to_string(s);
  sys::SpawnOptions o;
  o.argv = {CERTBENCH_BENCH_LISTING, "--certbench_dsn=" + dsn, "--certbench_scales=" + scales,
            "--certbench_naive_max=" + std::to_string(args.naive_max)};
  if (args.goals) o.argv.push_back("--certbench_goals");
  // Google Benchmark colours whenever $TERM is set, even into a pipe or a log file.
  const bool color_given = std::any_of(args.benchmark_flags.begin(), args.benchmark_flags.end(),
                                       [](const std::string& f) { return f.rfind("--benchmark_color", 0) == 0; });
  if (!color_given && isatty(STDOUT_FILENO) != 1) o.argv.push_back("--benchmark_color=false");
  o.argv.insert(o.argv.end(), args.benchmark_flags.begin(), args.benchmark_flags.end());
  const int status = sys::wait_for_exit(sys::spawn(o));
  if (started_dir) db::EmbeddedPostgres::down(*started_dir);
  return status;
}

}  // namespace certbench::cli
