// The Google Benchmark programs' output: Google Benchmark's own flags decide it, with or without
// --certbench_goals, and the goals use certbench's one percentile rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "certbench/fixtures/seeder.hpp"
#include "certbench/sys/files.hpp"
#include "collecting_reporter.hpp"
#include "support/cluster.hpp"

namespace {

using certbench::testing::shared_cluster;
using BenchRun = benchmark::BenchmarkReporter::Run;

BenchRun iteration(const std::string& name, double ns) {
  BenchRun r;
  r.run_name.function_name = name;
  r.run_type = BenchRun::RT_Iteration;
  r.iterations = 1;
  r.time_unit = benchmark::kNanosecond;
  r.real_accumulated_time = ns / 1e9;
  return r;
}

// Google Benchmark's names become results Series: path, implementation, mode, parameters.
TEST(BenchOutput, RunsBecomeResultsSeries) {
  certbench::bench::CollectingReporter reporter;
  auto hit = iteration("get_template_by_id/in_process/hit/real_time", 40);
  hit.threads = 2;
  hit.counters["db_round_trips"] = benchmark::Counter(0);
  auto page = iteration("get_public_certificates/limited/scale:1000/page:100/keyset:1/real_time", 2e5);
  page.counters["round_trips"] = benchmark::Counter(1);
  page.counters["peak_heap_bytes"] = benchmark::Counter(20000);
  testing::internal::CaptureStdout();
  reporter.ReportRuns({hit, page, page});
  (void)testing::internal::GetCapturedStdout();
  const auto run = reporter.run();
  ASSERT_EQ(run.series.size(), 2u);
  const auto& h = run.series[0];
  EXPECT_EQ(h.family, "benchmark");
  EXPECT_EQ(h.path, "get_template_by_id");
  EXPECT_EQ(h.implementation, "in_process");
  EXPECT_EQ(h.mode, "hit");
  EXPECT_EQ(h.parameters, (std::map<std::string, double>{{"threads", 2}}));
  EXPECT_EQ(h.samples.at(certbench::results::Metric::latency), std::vector<double>{40e-9});
  EXPECT_EQ(h.value(certbench::results::Metric::db_round_trips), 0);
  const auto& p = run.series[1];
  EXPECT_EQ(p.parameters, (std::map<std::string, double>{{"keyset", 1}, {"page", 100}, {"scale", 1000}, {"threads", 1}}));
  EXPECT_EQ(p.samples.at(certbench::results::Metric::latency).size(), 2u);  // one per repetition
  EXPECT_EQ(p.value(certbench::results::Metric::peak_heap), 20000);
  EXPECT_EQ(p.value(certbench::results::Metric::round_trips), 1);
}

TEST(BenchOutput, TheGoalsMedianIsCertbenchsPercentileRule) {
  // Value at rank floor(n/2): 3 of {1, 2, 3, 4}, where Google Benchmark's median says 2.5.
  EXPECT_EQ(certbench::bench::certbench_median({4, 1, 3, 2}), 3);
  EXPECT_EQ(certbench::bench::certbench_median({5, 1, 3}), 3);

  certbench::bench::CollectingReporter reporter;  // forwards to Google Benchmark's console reporter
  testing::internal::CaptureStdout();
  reporter.ReportRuns({iteration("x/real_time", 1), iteration("x/real_time", 2), iteration("x/real_time", 3),
                       iteration("x/real_time", 4)});
  const std::string forwarded = testing::internal::GetCapturedStdout();
  EXPECT_NE(forwarded.find("x/real_time"), std::string::npos) << "the runs reach the display reporter";
  ASSERT_TRUE(reporter.median_ns("x/real_time"));
  EXPECT_DOUBLE_EQ(*reporter.median_ns("x/real_time"), 3);
  EXPECT_FALSE(reporter.median_ns("y/real_time"));

  // Only aggregates reported: certbench's median among them, not Google Benchmark's.
  BenchRun median = iteration("y/real_time", 2.5), p50 = iteration("y/real_time", 3);
  median.run_type = p50.run_type = BenchRun::RT_Aggregate;
  median.aggregate_name = "median";
  p50.aggregate_name = certbench::bench::kMedianAggregate;
  testing::internal::CaptureStdout();
  reporter.ReportRuns({median, p50});
  (void)testing::internal::GetCapturedStdout();
  ASSERT_TRUE(reporter.median_ns("y/real_time"));
  EXPECT_DOUBLE_EQ(*reporter.median_ns("y/real_time"), 3);
}

// bench_listing itself, on a small dataset of the shared cluster.
certbench::sys::RunResult bench_listing(std::vector<std::string> args) {
  static const bool seeded = [] {
    certbench::fixtures::SeedOptions o;
    o.spec = {500, 42, certbench::fixtures::IndexSet::best};
    o.schema = "bench_500";
    certbench::fixtures::seed(shared_cluster().dsn(), o);
    return true;
  }();
  (void)seeded;
  std::vector<std::string> argv{CERTBENCH_BENCH_LISTING, "--certbench_dsn=" + shared_cluster().dsn(),
                                "--certbench_scales=500", "--benchmark_min_time=0.001",
                                "--benchmark_filter=^get_public_certificates/(naive|limited)/scale:500/page:1/keyset:0/"};
  argv.insert(argv.end(), args.begin(), args.end());
  return certbench::sys::run_capture(argv, {"TERM=xterm-256color"});  // a colour terminal, but stdout is a pipe
}

TEST(BenchOutput, JsonOnStdoutWithOrWithoutGoals) {
  for (bool goals : {false, true}) {
    std::vector<std::string> args{"--benchmark_format=json"};
    if (goals) args.emplace_back("--certbench_goals");
    const auto r = bench_listing(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
    const auto j = nlohmann::json::parse(r.out);  // the whole of stdout: one JSON document
    ASSERT_TRUE(j["benchmarks"].is_array());
    EXPECT_EQ(j["benchmarks"].size(), 2u) << r.out;
    EXPECT_EQ(r.err.find("the listing goals") != std::string::npos, goals) << r.err;  // beside JSON: on stderr
  }
}

TEST(BenchOutput, ConsoleCsvAndFileAsGoogleBenchmarkSays) {
  const auto console = bench_listing({"--certbench_goals"});
  ASSERT_EQ(console.exit_code, 0) << console.err;
  EXPECT_EQ(console.out.find('\x1b'), std::string::npos) << "no colour into a pipe";
  EXPECT_NE(console.out.find("get_public_certificates/naive/scale:500"), std::string::npos) << console.out;
  EXPECT_NE(console.out.find("the listing goals"), std::string::npos) << "under the console format: on stdout";

  const auto csv = bench_listing({"--benchmark_format=csv", "--certbench_goals"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_TRUE(csv.out.starts_with("name,iterations,real_time")) << csv.out;
  EXPECT_EQ(csv.out.find('\x1b'), std::string::npos);

  const auto coloured = bench_listing({"--benchmark_color=true"});  // asked for: Google Benchmark's choice
  EXPECT_NE(coloured.out.find('\x1b'), std::string::npos);

  const auto dir = certbench::sys::make_unique_dir(certbench::sys::throwaway_parent(), "certbench-test-bench-out-");
  const auto file = (dir / "runs.json").string();
  const auto to_file = bench_listing({"--certbench_goals", "--benchmark_out=" + file, "--benchmark_out_format=json"});
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_NE(to_file.out.find("get_public_certificates/naive/scale:500"), std::string::npos) << "console on stdout";
  std::ifstream in(file);
  const auto j = nlohmann::json::parse(in);
  EXPECT_EQ(j["benchmarks"].size(), 2u);
  std::filesystem::remove_all(dir);
}

TEST(BenchOutput, BadOutputFlagsAreOneLineAndExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--benchmark_format=xml"}, {"--benchmark_out_format=yaml"}, {"--benchmark_out=/nonexistent/dir/runs.json"}}) {
    const auto r = bench_listing(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << args[0] << "\n" << r.out;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args[0] << "\n" << r.err;
  }
}

}  // namespace
