// The report sink on a stored results.json (tests/fixtures/results-quick.json, made by a real run):
// every section, every chart drawn by gnuplot as valid SVG and PNG and linked from report.md; bad
// and older results files refused; an incomplete run says so at the top.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <signal.h>
#include <sstream>

#include "certbench/results/json.hpp"
#include "certbench/sys/net.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "support/cluster.hpp"
#include "support/http_client.hpp"
#include "support/services.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using certbench::testing::run_certbench;
using certbench::testing::has;
using certbench::testing::slurp;

namespace {

const fs::path kFixture = fs::path(CERTBENCH_SOURCE_DIR) / "tests/fixtures/results-quick.json";

fs::path temp_dir() { return certbench::sys::make_unique_dir(certbench::sys::throwaway_parent(), "certbench-test-report-"); }

}  // namespace

TEST(Report, EverySectionAndEveryChartFromAStoredRun) {
  const auto dir = temp_dir();
  auto r = run_certbench({"report", kFixture.string(), "--out", dir.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << "the report goes to files; notes to stderr";
  const auto md = slurp(dir / "report.md");
  for (const char* section : {"## The review's claims, judged", "Query Time: 60-80% reduction", "The largest deltas",
                              "### certbench's own goals", "## Listings", "## Listings on one event loop",
                              "## Which fix for the N+1", "**(advised)**",
                              "## Caching and derived data", "**Which cache.**", "## File saves", "### save_base64_image",
                              "### save_certificate_file", "## How cost grows", "### Deep pages",
                              "## Why: the statements behind the listing figures", "EXPLAIN (ANALYZE, BUFFERS)",
                              "## Environment and how to reproduce", "scripts/certbench run --quick",
                              "## The API over HTTP", "### Under an open loop",
                              "### Mixed traffic: listings beside uploads"})
    EXPECT_TRUE(has(md, section)) << section;
  EXPECT_FALSE(has(md, "Incomplete run"));

  // Every chart linked from the report exists, as SVG and as PNG, and every chart drawn is linked.
  std::set<std::string> linked;
  const std::regex link(R"(\!\[[^\]]*\]\(charts/([a-z0-9_]+)\.svg\))");
  for (auto it = std::sregex_iterator(md.begin(), md.end(), link); it != std::sregex_iterator(); ++it)
    linked.insert((*it)[1]);
  for (const char* expected : {"listing_latency", "loop_get_public_certificates_throughput", "caching_latency",
                               "saves_save_base64_image_throughput", "saves_save_certificate_file_lag",
                               "growth_get_public_certificates", "http_get_public_certificates_p99",
                               "http_get_public_certificates_answered"})
    EXPECT_TRUE(linked.count(expected)) << expected;
  std::set<std::string> drawn;
  for (const auto& entry : fs::directory_iterator(dir / "charts"))
    if (entry.path().extension() == ".svg") drawn.insert(entry.path().stem().string());
  EXPECT_EQ(linked, drawn);
  for (const auto& name : drawn) {
    const auto svg = slurp(dir / "charts" / (name + ".svg"));
    EXPECT_TRUE(has(svg, "<svg") && has(svg, "</svg>")) << name;
    EXPECT_TRUE(has(svg, "<text")) << name << ": a chart with no text has no axes or legend";
    const auto png = slurp(dir / "charts" / (name + ".png"));
    ASSERT_GT(png.size(), 8u) << name;
    EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name;
  }
  // Axes say their units.
  EXPECT_TRUE(has(slurp(dir / "charts/listing_latency.svg"), "(ms, log scale)"));
  EXPECT_TRUE(has(slurp(dir / "charts/saves_save_base64_image_throughput.svg"), "saves per second"));
  fs::remove_all(dir);
}

TEST(Report, AnIncompleteRunSaysSoAtTheTop) {
  const auto dir = temp_dir();
  auto run = certbench::results::load(kFixture);
  run.complete = false;
  run.failure = "file saves: lost the connection to PostgreSQL";
  certbench::sys::write_file_atomic(dir / "results.json", certbench::results::to_json(run));
  auto r = run_certbench({"report", (dir / "results.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto md = slurp(dir / "report.md");
  const auto banner = md.find("**Incomplete run**");
  ASSERT_NE(banner, std::string::npos);
  EXPECT_LT(banner, md.find("## The review's claims"));
  EXPECT_TRUE(has(md, "lost the connection to PostgreSQL"));
  EXPECT_TRUE(has(r.err, "the run was incomplete")) << r.err;
  fs::remove_all(dir);
}

TEST(Report, OlderCorruptOrMissingResultsAreRefusedWithOneLine) {
  const auto dir = temp_dir();
  auto text = slurp(kFixture);
  const auto at = text.find("\"schema_version\": ");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 19, "\"schema_version\": 1");
  std::ofstream(dir / "old.json") << text;
  std::ofstream(dir / "cut.json") << slurp(kFixture).substr(0, 5000);
  for (const auto& [file, why] : std::vector<std::pair<fs::path, std::string>>{
           {dir / "old.json", "schema_version 1"}, {dir / "cut.json", "is not JSON"}, {dir / "none.json", "cannot read"}}) {
    auto r = run_certbench({"report", file.string(), "--out", (dir / "out").string()});
    EXPECT_EQ(r.exit_code, 2) << file;
    EXPECT_TRUE(has(r.err, file.filename().string()) && has(r.err, why)) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out" / "report.md")) << "nothing half-written";
  }
  fs::remove_all(dir);
}

// The Prometheus exposition of a stored run: promtool (Debian's prometheus package) accepts it, the
// runner label is on every series, and the series stay under the documented bound (docs/metrics.md).
TEST(Report, PrometheusExpositionPassesPromtoolWithBoundedSeries) {
  const auto dir = temp_dir();
  const auto prom = dir / "metrics.prom";
  auto r = run_certbench({"report", kFixture.string(), "--out", dir.string(), "--textfile", prom.string(), "--runner",
                          "ci-runner-1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto text = slurp(prom);
  auto check = certbench::sys::run_capture({"/bin/sh", "-c", "promtool check metrics < '" + prom.string() + "'"});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  std::size_t series = 0;
  std::set<std::string> families;
  std::istringstream lines(text);
  std::set<std::string> seen;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("# TYPE ", 0) == 0) families.insert(line.substr(7, line.find(' ', 7) - 7));
    if (line.empty() || line[0] == '#') continue;
    ++series;
    EXPECT_TRUE(has(line, "runner=\"ci-runner-1\"")) << line;
    // One value per name and label set: node_exporter and the Pushgateway refuse duplicates.
    EXPECT_TRUE(seen.insert(line.substr(0, line.rfind(' '))).second) << "twice: " << line;
  }
  EXPECT_LE(series, 6000u) << "more series than docs/metrics.md allows a run";
  for (const char* family : {"certbench_run_info", "certbench_run_last_success_timestamp_seconds",
                             "certbench_latency_seconds", "certbench_round_trips_per_call", "certbench_peak_heap_bytes",
                             "certbench_throughput_requests_per_second", "certbench_event_loop_lag_seconds",
                             "certbench_http_response_seconds", "certbench_http_response_bytes",
                             "certbench_http_open_loop_latency_seconds", "certbench_http_offered_requests_per_second",
                             "certbench_http_event_loop_lag_p99_seconds",
                             "certbench_delta_factor", "certbench_verdict", "certbench_db_execution_seconds_per_call",
                             "certbench_db_shared_buffers_per_call", "certbench_cache_hits_per_call",
                             "certbench_cache_misses_per_call", "certbench_pool_sessions", "certbench_pool_sessions_in_use",
                             "certbench_pool_sessions_in_use_max", "certbench_pool_wait_seconds"})
    EXPECT_TRUE(families.count(family)) << family;
  // The open loop's histogram: the +Inf bucket is the count (every request of the schedule), and
  // the buckets only grow.
  std::smatch inf, count;
  ASSERT_TRUE(std::regex_search(text, inf, std::regex(R"(certbench_http_open_loop_latency_seconds_bucket\{[^}]*impl="limited"[^}]*le="\+Inf"\} (\d+))")));
  ASSERT_TRUE(std::regex_search(text, count, std::regex(R"(certbench_http_open_loop_latency_seconds_count\{[^}]*impl="limited"[^}]*\} (\d+))")));
  EXPECT_EQ(inf[1].str(), count[1].str());
  EXPECT_GT(std::stoll(count[1].str()), 0);
  // The naive public listing's N+1, as a series: five statements per call.
  EXPECT_TRUE(std::regex_search(text, std::regex(R"(certbench_round_trips_per_call\{[^}]*path="get_public_certificates",impl="naive"[^}]*\} 5\b)")))
      << "no round-trip series for the naive public listing";
  fs::remove_all(dir);
}

namespace {

// The body of a GET that answered 200, "" otherwise.
std::string http_get(const std::string& url) {
  auto answer = certbench::testing::http_get(url);
  return answer.status == 200 ? answer.body : "";
}

}  // namespace

// A real Pushgateway on loopback: two runners' pushes stay apart (their own groups), the runner's
// name may hold any character; a Pushgateway that is down or refuses the push costs a warning (exit
// 3 only with --require-push); one that accepts and never answers cannot hang the command past its
// timeouts.
TEST(Report, PushToARealPushgateway) {
  const auto dir = temp_dir();
  const int port = certbench::sys::free_loopback_port();
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  // Its own persistence file: Debian's default is the system service's, shared by every test.
  auto gateway = certbench::testing::start_process({"/usr/bin/prometheus-pushgateway",
                                                    "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                                    "--persistence.file=" + (dir / "pushgateway.data").string(),
                                                    "--web.enable-admin-api"},
                                                   dir / "pushgateway.log");
  ASSERT_TRUE(certbench::testing::eventually([&] { return !http_get(url + "/metrics").empty(); }, 30))
      << slurp(dir / "pushgateway.log");
  for (const char* runner : {"runner-a", "ci runner/b"}) {
    auto r = run_certbench({"report", kFixture.string(), "--out", dir.string(), "--pushgateway", url, "--runner", runner});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(has(r.err, "pushed to the Pushgateway")) << r.err;
  }
  const auto metrics = http_get(url + "/metrics");
  for (const char* runner : {"runner=\"runner-a\"", "runner=\"ci runner/b\""})
    EXPECT_TRUE(std::regex_search(metrics, std::regex(std::string("certbench_run_info\\{[^}]*") + runner)))
        << runner << " is not in the Pushgateway's groups";

  // Down: a warning naming the URL, the files written, exit 0 (3 with --require-push: below).
  const std::string down = "http://127.0.0.1:" + std::to_string(certbench::sys::free_loopback_port());
  auto warned = run_certbench({"report", kFixture.string(), "--out", (dir / "down").string(), "--pushgateway", down});
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_TRUE(has(warned.err, "warning: could not push to the Pushgateway at " + down)) << warned.err;
  EXPECT_TRUE(fs::exists(dir / "down" / "report.md"));

  // Slow: it accepts the connection and never answers; the push gives up after its timeouts.
  const int slow_port = certbench::sys::free_loopback_port();
  const auto slow = certbench::testing::start_silent_listener(slow_port, dir / "slow.log");
  auto hung = run_certbench({"report", kFixture.string(), "--out", (dir / "slow").string(), "--pushgateway",
                             "http://127.0.0.1:" + std::to_string(slow_port)});
  EXPECT_EQ(hung.exit_code, 0) << hung.err;
  EXPECT_TRUE(has(hung.err, "timed out") || has(hung.err, "Timeout")) << hung.err;

  // Refusing: another group holds a metric of certbench's name as another type, so the Pushgateway
  // answers 400 to certbench's push; with --require-push, exit 3 and the error carries the status.
  const auto gateway_port = static_cast<std::uint16_t>(port);
  auto wiped = certbench::testing::http_request(gateway_port, "PUT", "/api/v1/admin/wipe");
  ASSERT_TRUE(wiped && wiped->status / 100 == 2);
  auto other = certbench::testing::http_request(gateway_port, "PUT", "/metrics/job/other",
                                                "# TYPE certbench_run_info counter\ncertbench_run_info 1\n");
  ASSERT_TRUE(other && other->status / 100 == 2);
  auto refused = run_certbench({"report", kFixture.string(), "--out", (dir / "refused").string(), "--pushgateway", url,
                                "--require-push"});
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_TRUE(has(refused.err, "could not push to the Pushgateway at " + url + ": HTTP 400")) << refused.err;
  EXPECT_TRUE(fs::exists(dir / "refused" / "report.md")) << "the files are written before the push";
  fs::remove_all(dir);
}
