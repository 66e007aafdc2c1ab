// Faults with real processes and real signals (docs/reliability.md, "Faults"): the database killed
// under each family of a run and under serve, serve's sessions cut, certbench killed while it writes
// a baseline, a disk that fails while the results are written. Each test checks the exit code,
// that nothing half-written sits under a final name, and what comes back afterwards.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "certbench/db/connection.hpp"
#include "certbench/db/embedded_postgres.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/http/server.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"
#include "support/cluster.hpp"
#include "support/http_client.hpp"

namespace fs = std::filesystem;
using namespace certbench;
using certbench::testing::eventually;
using certbench::testing::http_request;

namespace {

const fs::path kFixture = fs::path(CERTBENCH_SOURCE_DIR) / "tests/fixtures/results-quick.json";

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
std::string slurp(const fs::path& p) { return sys::read_file(p).value_or(""); }
fs::path temp_dir(const std::string& prefix) { return sys::make_unique_dir(sys::throwaway_parent(), prefix); }

std::size_t lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

// Waits for a child certbench; nullopt when it has not ended within `seconds`.
std::optional<int> exit_within(pid_t pid, double seconds) {
  std::optional<int> code;
  eventually([&] { return (code = sys::try_wait(pid)).has_value(); }, seconds);
  return code;
}

}  // namespace

// The database dies while one family is measured: certbench stops within a minute, exits 3 with the
// failure on stderr, writes what it measured marked complete: false, and leaves no embedded server
// (Redis, for the caching family) behind.
class DatabaseKilledDuring : public ::testing::TestWithParam<const char*> {};

TEST_P(DatabaseKilledDuring, TheRunExitsThreeAndKeepsWhatWasMeasured) {
  auto cluster = db::EmbeddedPostgres::start_throwaway();
  const auto dir = temp_dir("certbench-test-killed-");
  const auto log = (dir / "log").string();
  const pid_t pid = certbench::testing::spawn_certbench(
      {"run", "--quick", "--paths", GetParam(), "--scale", "1000", "--out", (dir / "out").string(), "--dsn",
       cluster.dsn()},
      log);
  // Once the family is under way (the dataset is seeded), kill the server.
  ASSERT_TRUE(eventually([&] { return has(slurp(log), "seeded"); }, 120)) << slurp(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ::kill(cluster.info().postmaster_pid, SIGKILL);
  const auto code = exit_within(pid, 90);
  ASSERT_TRUE(code) << "certbench did not stop after its database died: " << slurp(log);
  EXPECT_EQ(*code, 3) << slurp(log);
  const auto run = results::load(dir / "out" / "results.json");
  EXPECT_FALSE(run.complete);
  EXPECT_FALSE(run.failure.empty());
  EXPECT_TRUE(has(slurp(log), "complete: false")) << slurp(log);
  EXPECT_TRUE(certbench::testing::throwaway_dirs_of(pid).empty()) << "an embedded server of the run was left";
  cluster.stop();
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Families, DatabaseKilledDuring, ::testing::Values("listing,loop", "caching", "saves", "http"),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           std::string name = param.param;
                           return name == "listing,loop" ? std::string("listings") : name;
                         });

namespace {

// serve on `dsn`, a small dataset seeded there first.
struct Serving {
  fs::path dir = temp_dir("certbench-test-faults-serve-");
  std::unique_ptr<http::Server> server;
  explicit Serving(const std::string& dsn) {
    fixtures::SeedOptions o;
    o.spec = {500, 5, fixtures::IndexSet::best};
    o.schema = "faults";
    fixtures::seed(dsn, o);
    http::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.api.dsn = dsn;
    options.api.schema = "faults";
    options.save_dir = dir;
    server = std::make_unique<http::Server>(options);
  }
  ~Serving() {
    server.reset();
    fs::remove_all(dir);
  }
  [[nodiscard]] int status(const std::string& target) const {
    const auto reply = http_request(server->port(), "GET", target);
    return reply ? reply->status : 0;
  }
};

constexpr const char* kListing = "/optimized/certificates/public?size=5";

}  // namespace

// A listing session whose connection is cut (its backend terminated, as a failover or an idle
// timeout does) answers 503, with a JSON error; the session is closed, and the next requests open
// new ones and are answered again. /health never depends on the database.
TEST(ServeFaults, ASessionThatLostItsConnectionIsReplaced) {
  auto cluster = db::EmbeddedPostgres::start_throwaway();  // every client backend of it is cut below
  Serving s(cluster.dsn());
  const auto impls = harness::listing_implementations(Listing::public_certificates);
  auto target = [](std::string_view impl) { return "/" + std::string(impl) + "/certificates/public?size=5"; };
  for (auto impl : impls) {  // both sessions of each pool opened: two requests at once
    auto first = std::async(std::launch::async, [&] { return s.status(target(impl)); });
    EXPECT_EQ(s.status(target(impl)), 200) << impl;
    EXPECT_EQ(first.get(), 200) << impl;
  }
  db::Connection admin(cluster.dsn());
  const auto cut = admin.exec(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database()");
  ASSERT_GE(cut.int64(0, 0), static_cast<std::int64_t>(impls.size())) << "serve's sessions were not cut";
  for (auto impl : impls) {
    int unavailable = 0;
    for (int i = 0; i < 4; ++i) {
      const auto reply = http_request(s.server->port(), "GET", target(impl));
      ASSERT_TRUE(reply);
      if (reply->status == 503) {
        ++unavailable;
        EXPECT_TRUE(has(nlohmann::json::parse(reply->body).at("error").get<std::string>(), "database")) << reply->body;
      } else {
        EXPECT_EQ(reply->status, 200) << impl << ": " << reply->body;
      }
    }
    EXPECT_LE(unavailable, 2) << impl << ": a session stayed broken";
    EXPECT_EQ(s.status(target(impl)), 200) << impl;
  }
  EXPECT_EQ(s.status("/health"), 200);
}

// The database itself killed: every listing answers 503 within seconds (no hang on a dead
// server), /health stays 200, and serve stops in bounded time.
TEST(ServeFaults, TheDatabaseKilledMeans503sAndAnOrderlyStop) {
  auto cluster = db::EmbeddedPostgres::start_throwaway();
  auto s = std::make_unique<Serving>(cluster.dsn());
  EXPECT_EQ(s->status(kListing), 200);
  ::kill(cluster.info().postmaster_pid, SIGKILL);
  const auto started = std::chrono::steady_clock::now();
  for (const char* impl : {"naive", "review", "optimized"}) {
    const std::string target = std::string("/") + impl + "/certificates/public?size=5";
    for (int i = 0; i < 2; ++i) EXPECT_EQ(s->status(target), 503) << target;
  }
  EXPECT_EQ(s->status("/health"), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
  s.reset();  // stop: drains, joins
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(90));
  cluster.stop();
}

// `baseline update` killed at any moment leaves the old baseline or the new one, whole — never a
// truncated file under the baseline's name. (A kill between the temporary file's creation and its
// rename may leave that temporary file beside it, never under the final name.)
TEST(Faults, BaselineUpdateKilledAtAnyMomentLeavesTheOldOrTheNewBaseline) {
  const auto dir = temp_dir("certbench-test-baseline-killed-");
  const auto baseline = dir / "baseline.json";
  ASSERT_EQ(certbench::testing::run_certbench({"baseline", "update", kFixture.string(), "--to", baseline.string()})
                .exit_code,
            0);
  const std::string old_text = slurp(baseline);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(certbench::testing::run_certbench({"baseline", "update", kFixture.string(), "--to",
                                               (dir / "new.json").string(), "--keep-samples"})
                .exit_code,
            0);
  const auto whole = std::chrono::steady_clock::now() - started;  // the command's time, start to exit
  const std::string new_text = slurp(dir / "new.json");
  ASSERT_NE(old_text, new_text);
  fs::remove(dir / "new.json");
  bool saw_old = false, saw_new = false;
  // Kills spread over the command's whole time, then one after it.
  for (int tenth = 0; tenth <= 12; ++tenth) {
    const pid_t pid = certbench::testing::spawn_certbench(
        {"baseline", "update", kFixture.string(), "--to", baseline.string(), "--keep-samples"},
        (dir / "log").string());
    std::this_thread::sleep_for(whole * tenth / 10);
    ::kill(pid, SIGKILL);
    ASSERT_TRUE(exit_within(pid, 30));
    const std::string now = slurp(baseline);
    EXPECT_TRUE(now == old_text || now == new_text) << "killed at " << tenth << "/10: " << now.size() << " bytes";
    saw_old = saw_old || now == old_text;
    saw_new = saw_new || now == new_text;
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(name == "baseline.json" || name == "log" || (name.starts_with(".baseline.json.") && name.ends_with(".tmp")))
          << "killed at " << tenth << "/10: " << name;
    }
    std::ofstream(baseline, std::ios::trunc) << old_text;  // each round from the old baseline again
  }
  EXPECT_TRUE(saw_old) << "no kill landed before the rename";
  EXPECT_TRUE(saw_new) << "no kill landed after the rename";
  fs::remove_all(dir);
}

// A disk that fails while the report is written (RLIMIT_FSIZE binds root too): exit 3 with one line
// naming the file, the earlier report in that folder left whole, no temporary file.
TEST(Faults, ADiskThatFailsWhileTheReportIsWrittenExitsThreeAndKeepsTheEarlierOne) {
  if (!fs::exists("/usr/bin/prlimit")) GTEST_SKIP() << "prlimit (util-linux) is not installed";
  const auto dir = temp_dir("certbench-test-report-disk-");
  ASSERT_EQ(certbench::testing::run_certbench({"report", kFixture.string(), "--out", dir.string()}).exit_code, 0);
  std::map<fs::path, std::string> before;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) before[e.path()] = slurp(e.path());
  ASSERT_TRUE(before.contains(dir / "report.md"));
  const auto r = sys::run_capture(
      {"/usr/bin/prlimit", "--fsize=4096", CERTBENCH_BINARY, "report", kFixture.string(), "--out", dir.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(has(r.err, std::strerror(EFBIG))) << r.err;
  std::map<fs::path, std::string> after;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) after[e.path()] = slurp(e.path());
  EXPECT_EQ(after, before) << "a file changed or a temporary one was left";
  fs::remove_all(dir);
}
