// `certbench run` end to end on the real embedded PostgreSQL and Redis: results.json valid against
// its schema and loadable back, benchmarks.json accepted by Google Benchmark's compare.py, the
// claims judged and bad options refused (a database killed mid-run: test_faults_servers.cpp).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/net.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/sys/files.hpp"
#include "support/cluster.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using certbench::testing::run_certbench;
using certbench::testing::shared_cluster;
namespace results = certbench::results;
using certbench::testing::has;
using certbench::testing::slurp;
using certbench::testing::temp_dir;

namespace {

// Debian's python3 (not a pyenv one on PATH): python3-jsonschema and libbenchmark-tools are its.
certbench::sys::RunResult python(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/python3"};
  argv.insert(argv.end(), args.begin(), args.end());
  return certbench::sys::run_capture(argv);
}

std::string schema_path() { return std::string(CERTBENCH_SOURCE_DIR) + "/reports/schema/results.schema.json"; }

}  // namespace

TEST(CliRun, QuickRunWritesResultsThatValidateLoadBackAndCompare) {
  const auto out = temp_dir("certbench-test-run-");
  auto r = run_certbench({"run", "--quick", "--scale", "1000", "--schema", "cli_run", "--out", (out / "a").string(),
                          "--dsn", shared_cluster().dsn()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The terminal's summary: every family, the claims judged, the headline.
  for (const char* part : {"listings: page 1", "listings on one event loop", "caching and derived data",
                           "file saves on one event loop", "\n  save_base64_image ", "\n  save_certificate_file ",
                           "the API over HTTP",
                           "the review's claims",
                           "Query Time: 60-80% reduction", "headline deltas"})
    EXPECT_TRUE(has(r.out, part)) << part << "\n" << r.out;
  EXPECT_FALSE(has(r.out, "certbench: ")) << "notes belong on stderr";
  EXPECT_FALSE(has(r.out, "where the time goes: the median call")) << "the full tables are for --tables and the report";

  const auto results_json = out / "a" / "results.json";
  ASSERT_TRUE(fs::exists(results_json));
  ASSERT_TRUE(fs::exists(out / "a" / "benchmarks.json"));
  ASSERT_TRUE(fs::exists(out / "a" / "report.md"));
  EXPECT_TRUE(fs::exists(out / "a" / "metrics.prom"));
  EXPECT_TRUE(fs::exists(out / "a" / "charts" / "listing_latency.svg"));
  EXPECT_TRUE(fs::exists(out / "a" / "charts" / "listing_latency.png"));
  // Valid against the documented schema, by a real validator.
  auto valid = python({"-c",
                       "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), "
                       "json.load(open(sys.argv[2])), cls=jsonschema.Draft202012Validator)",
                       results_json.string(), schema_path()});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  // Loads back identically.
  const auto text = slurp(results_json);
  const auto run = results::load(results_json);
  EXPECT_EQ(results::to_json(run), text);
  EXPECT_TRUE(run.complete);
  EXPECT_EQ(run.environment.dataset_scale, 1000u);
  EXPECT_FALSE(run.environment.postgres_version.empty());
  EXPECT_FALSE(run.environment.redis_version.empty());
  EXPECT_EQ(run.environment.options.at(1), "run");

  // Every family, and counts that do not depend on the clock: the N+1 of the public listing
  // (one statement per certificate type) and of the endpoint (two more per row shown).
  std::set<std::string> families;
  for (const auto& s : run.series) families.insert(s.family);
  EXPECT_EQ(families,
            (std::set<std::string>{"listing", "listing_loop", "caching", "derived", "file_save", "ceiling", "http"}));
  const auto* naive = run.find("listing/get_public_certificates/naive/page=1/scale=1000/size=20");
  const auto* limited = run.find("listing/get_public_certificates/limited/page=1/scale=1000/size=20");
  ASSERT_NE(naive, nullptr);
  ASSERT_NE(limited, nullptr);
  EXPECT_EQ(naive->value(results::Metric::round_trips), 5);
  EXPECT_EQ(limited->value(results::Metric::round_trips), 1);
  // The server counted the same statements (pg_stat_statements), and fewer buffers for the limited page.
  EXPECT_EQ(naive->value(results::Metric::server_statements), 5);
  EXPECT_EQ(limited->value(results::Metric::server_statements), 1);
  EXPECT_LT(*limited->value(results::Metric::shared_buffers), *naive->value(results::Metric::shared_buffers));
  EXPECT_GT(*limited->value(results::Metric::server_execution), 0.0);
  EXPECT_GE(naive->samples_of(results::Metric::latency)->size(), 9u);  // enough for an interval
  // Over HTTP (wrk, closed loop): each request runs the statements of the in-process call (its
  // Server-Timing count), every answer a 200, and the body the same bytes for every implementation.
  const auto* http_naive = run.find("http/get_public_certificates/naive/closed_loop/connections=8/page=1/scale=1000/size=20");
  const auto* http_review = run.find("http/get_public_certificates/review/closed_loop/connections=8/page=1/scale=1000/size=20");
  ASSERT_NE(http_naive, nullptr);
  ASSERT_NE(http_review, nullptr);
  EXPECT_EQ(http_naive->value(results::Metric::statements), naive->value(results::Metric::statements));
  EXPECT_EQ(http_naive->value(results::Metric::failures), 0.0);
  EXPECT_EQ(http_naive->value(results::Metric::response_bytes), http_review->value(results::Metric::response_bytes));
  EXPECT_EQ(http_naive->samples_of(results::Metric::throughput)->size(), 6u);  // the sign test's six windows
  // And under the open loop, at half the capacity, the same schedule for each implementation.
  const auto* open_naive =
      run.find("http/get_public_certificates/naive/open_loop/capacity_share=0.5/connections=64/page=1/scale=1000/size=20");
  const auto* open_review =
      run.find("http/get_public_certificates/review/open_loop/capacity_share=0.5/connections=64/page=1/scale=1000/size=20");
  ASSERT_NE(open_naive, nullptr);
  ASSERT_NE(open_review, nullptr);
  EXPECT_EQ(open_naive->value(results::Metric::offered_rate), open_review->value(results::Metric::offered_rate));
  EXPECT_TRUE(open_review->latency_buckets.has_value());
  // --quick measures the claim's subject over HTTP: the code before the review and its fix.
  EXPECT_EQ(run.find("http/get_public_certificates/limited/closed_loop/connections=8/page=1/scale=1000/size=20"), nullptr);
  // Cache hits and misses per call, counted by each cache (naive has none); the loads' session
  // pools: its size, how many were held, one wait per request.
  std::size_t caches = 0, pools = 0;
  for (const auto& s : run.series) {
    if (s.family == "caching") {
      const bool cached = s.implementation != "naive";
      EXPECT_EQ(s.value(results::Metric::cache_hits).has_value(), cached) << s.key();
      if (!cached) continue;
      ++caches;
      EXPECT_EQ(s.value(results::Metric::cache_hits), s.mode == "hit" ? 1.0 : 0.0) << s.key();
      EXPECT_EQ(s.value(results::Metric::cache_misses), s.mode == "miss" ? 1.0 : 0.0) << s.key();
    }
    if (s.family == "listing_loop" || s.family == "file_save") {
      ++pools;
      ASSERT_TRUE(s.value(results::Metric::pool_sessions).has_value()) << s.key();
      EXPECT_GE(*s.value(results::Metric::pool_in_use_max), 1.0) << s.key();
      EXPECT_LE(*s.value(results::Metric::pool_in_use_max), *s.value(results::Metric::pool_sessions)) << s.key();
      EXPECT_EQ(s.samples_of(results::Metric::pool_wait)->size(), *s.value(results::Metric::requests)) << s.key();
    }
  }
  EXPECT_EQ(caches, 12u);  // 3 paths x (in_process, redis) x (hit, miss)
  EXPECT_GT(pools, 0u);
  // The plans behind the figures: the naive public listing's five statements, one per certificate
  // table; the admin listing's per-row owner lookup run 20 times for a page of 20; the limited
  // public listing one statement (which nodes the planner picks at this tiny scale is
  // test_listing_plans's business, at a scale where the indexes matter).
  std::map<std::string, std::vector<const results::Plan*>> plans;
  for (const auto& p : run.plans) plans[p.path + "/" + p.implementation].push_back(&p);
  EXPECT_EQ(plans["get_public_certificates/naive"].size(), 5u);
  bool owner_lookup = false;
  for (const auto* p : plans["get_all_certificates_with_users/naive"]) owner_lookup |= p->executions == 20;
  EXPECT_TRUE(owner_lookup);
  ASSERT_EQ(plans["get_public_certificates/limited"].size(), 1u);
  const auto& best = *plans["get_public_certificates/limited"].front();
  EXPECT_EQ(best.executions, 1u);
  EXPECT_EQ(best.rows, 20);
  EXPECT_FALSE(best.nodes.empty());
  EXPECT_GT(best.shared_hit + best.shared_read, 0);

  // Every delta has an interval around its estimate; the four claims are judged.
  ASSERT_FALSE(run.deltas.empty());
  for (const auto& d : run.deltas) {
    EXPECT_LE(d.factor.low, d.factor.estimate) << d.other_key;
    EXPECT_GE(d.factor.high, d.factor.estimate) << d.other_key;
  }
  std::set<std::string> judged;
  for (const auto& v : run.verdicts)
    if (v.outcome != results::Outcome::not_measured) judged.insert(v.id);
  for (const char* id : {"query_time", "concurrency", "response_time", "cache_hit_cost", "save_lag", "save_lag_io_uring",
                         "save_ceiling_share"})
    EXPECT_TRUE(judged.count(id)) << id;
  // Memory needs jemalloc's counters: judged in release builds, not under the sanitizers.
  EXPECT_EQ(judged.count("memory") == 1, limited->samples_of(results::Metric::peak_heap) != nullptr);

  // Google Benchmark's compare.py reads two runs (a second, listings only, with the event loop at a
  // concurrency named: what the user names outranks --quick's).
  auto second = run_certbench({"run", "--quick", "--only", "listing,loop", "--loop-concurrency", "2",
                               "--loop-seconds", "0.1", "--scale", "1000", "--schema", "cli_run", "--out",
                               (out / "b").string(), "--dsn", shared_cluster().dsn()});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_FALSE(has(second.out, "caching and derived data")) << second.out;
  std::set<double> loop_concurrency;
  for (const auto& s : results::load(out / "b" / "results.json").series)
    if (s.family == results::family::listing_loop) loop_concurrency.insert(s.parameter("concurrency").value_or(0));
  EXPECT_EQ(loop_concurrency, std::set<double>{2});
  auto compare = python({"/usr/share/benchmark/compare.py", "benchmarks", (out / "a" / "benchmarks.json").string(),
                         (out / "b" / "benchmarks.json").string()});
  EXPECT_EQ(compare.exit_code, 0) << compare.err;
  EXPECT_TRUE(has(compare.out, "listing/get_public_certificates/naive")) << compare.out.substr(0, 2000);
  fs::remove_all(out);
}

TEST(CliRun, BadOptionsExitTwoBeforeAnyWork) {
  auto paths = run_certbench({"run", "--only", "listing,everything"});
  EXPECT_EQ(paths.exit_code, 2);
  EXPECT_TRUE(has(paths.err, "--only takes listing, loop, caching, derived, saves, http, compare and indexes (got 'everything')")) << paths.err;
  auto out = run_certbench({"run", "--out", "/proc/certbench-cannot-be-here"});
  EXPECT_EQ(out.exit_code, 2);
  EXPECT_TRUE(has(out.err, "--out /proc/certbench-cannot-be-here: cannot make the folder")) << out.err;
}

TEST(CliRun, ResultsFromAnOlderSchemaOrCorruptAreRefused) {
  const auto dir = temp_dir("certbench-test-results-");
  std::ofstream(dir / "old.json") << R"({"schema_version": 0})";
  std::ofstream(dir / "cut.json") << R"({"schema_version": 2, "environment": {)";
  for (const char* name : {"old.json", "cut.json"}) {
    try {
      results::load(dir / name);
      ADD_FAILURE() << name << " was accepted";
    } catch (const certbench::InputError& e) {
      EXPECT_TRUE(has(e.what(), name)) << e.what();
    }
  }
  fs::remove_all(dir);
}

// --full: the listings on datasets of several scales, a growth order fitted for each, and the
// limited listings' deep pages by offset and by keyset.
TEST(CliRun, FullRunFitsHowCostGrowsAndMeasuresDeepPages) {
  const auto out = temp_dir("certbench-test-full-");
  auto r = run_certbench({"run", "--quick", "--full", "--scales", "500,2000", "--only", "listing", "--scale", "2000",
                          "--schema", "cli_full", "--out", out.string(), "--tables", "--dsn", shared_cluster().dsn()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // --tables: the full tables, where the default prints a summary.
  EXPECT_TRUE(has(r.out, "against naive, times better (95% interval; paired rounds)")) << r.out;
  EXPECT_TRUE(has(r.out, "where the time goes: the median call")) << r.out;
  EXPECT_TRUE(has(r.out, "how cost grows with the dataset")) << r.out;
  EXPECT_TRUE(has(r.out, "deep pages (limited at scale 2,000)")) << r.out;
  const auto run = results::load(out / "results.json");
  auto valid = python({"-c",
                       "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), "
                       "json.load(open(sys.argv[2])), cls=jsonschema.Draft202012Validator)",
                       (out / "results.json").string(), schema_path()});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  // A fit per listing and implementation, over both scales.
  std::set<std::string> fitted;
  for (const auto& f : run.fits) {
    EXPECT_EQ(f.scales, (std::vector<double>{500, 2000})) << f.path;
    EXPECT_LE(f.exponent.low, f.exponent.estimate);
    EXPECT_GE(f.exponent.high, f.exponent.estimate);
    if (f.metric == results::Metric::latency) fitted.insert(f.path + "/" + f.implementation);
  }
  for (const char* p : {"get_public_certificates/naive", "get_public_certificates/limited",
                        "certificates_endpoint/cached"})
    EXPECT_TRUE(fitted.count(p)) << p;
  // Deep pages: only pages that exist at this scale are measured, page 1 always, both ways.
  bool offset_1 = false, keyset_1 = false;
  for (const auto& s : run.series) {
    if (s.family != "listing_depth") continue;
    EXPECT_EQ(s.implementation, "limited");
    EXPECT_EQ(s.value(results::Metric::rows_received), 20) << s.key();
    if (s.path == "get_public_certificates" && s.parameter("page") == 1.0)
      (s.parameter("keyset") == 1.0 ? keyset_1 : offset_1) = true;
  }
  EXPECT_TRUE(offset_1 && keyset_1);
  // The sweep's other dataset lives in a schema of its own.
  EXPECT_TRUE(has(r.err, "cli_full_s500")) << r.err;
  fs::remove_all(out);
}

// The benchmark programs' runs, as results.json: family benchmark, loadable, goals judged by the
// claims table.
TEST(CliRun, BenchWritesItsRunsAsResults) {
#ifndef CERTBENCH_HAVE_BENCHMARKS
  GTEST_SKIP() << "the Google Benchmark programs are not built";
#endif
  const auto dir = temp_dir("certbench-test-bench-results-");
  auto r = run_certbench({"bench", "--suite", "listing", "--scales", "500", "--dsn", shared_cluster().dsn(), "--goals",
                          "--results", dir.string(), "--benchmark_min_time=0.001", "--benchmark_repetitions=2",
                          "--benchmark_filter=^get_public_certificates/(naive|limited)/scale:500/page:1/keyset:0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto run = results::load(dir / "listing.results.json");
  ASSERT_EQ(run.series.size(), 2u);
  for (const auto& s : run.series) {
    EXPECT_EQ(s.family, "benchmark");
    EXPECT_EQ(s.samples_of(results::Metric::latency)->size(), 2u) << s.key();  // one per repetition
  }
  EXPECT_FALSE(fs::exists(dir / "caching.results.json"));
  EXPECT_TRUE(has(r.out, "the listing goals")) << r.out;
  fs::remove_all(dir);
}

// --listen: /metrics answers while the run measures (the scenario under way), and during --linger
// after it with the whole run.
TEST(CliRun, MetricsAreServedDuringTheRunAndWhileItLingers) {
  const auto dir = temp_dir("certbench-test-listen-");
  const int port = certbench::sys::free_loopback_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  auto get = [&] {
    auto r = python({"-c", "import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())", url});
    return r.exit_code == 0 ? r.out : std::string();
  };
  const pid_t pid = certbench::testing::spawn_certbench(
      {"run", "--quick", "--only", "listing,derived", "--scale", "1000", "--schema", "cli_listen", "--out",
       (dir / "out").string(), "--listen", "127.0.0.1:" + std::to_string(port), "--linger", "20", "--dsn",
       shared_cluster().dsn()},
      (dir / "log").string());
  std::string during;
  ASSERT_TRUE(certbench::testing::eventually([&] { return has(during = get(), "certbench_run_progress_info"); }, 120))
      << slurp(dir / "log");
  EXPECT_TRUE(has(during, "certbench_run_info{")) << during;
  // After the run, while it lingers: the whole run, complete.
  std::string after;
  const std::regex complete(R"(certbench_run_complete\{[^}]*\} 1\b)");
  EXPECT_TRUE(certbench::testing::eventually(
      [&] { return std::regex_search(after = get(), complete) && has(after, "certbench_delta_factor"); }, 120))
      << slurp(dir / "log");
  certbench::sys::signal_and_wait(pid, SIGTERM, std::chrono::seconds(30));
  fs::remove_all(dir);
}
