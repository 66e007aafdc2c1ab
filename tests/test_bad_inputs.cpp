// Rows of docs/inputs.md that no other test checks: each bad value gets its exit code, its one line
// on stderr, and nothing is written or measured. The commands run as a user runs them, against the
// shared embedded cluster's small dataset.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "certbench/sys/net.hpp"
#include "support/cluster.hpp"
#include "support/services.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using certbench::testing::has;
using certbench::testing::lines;
using certbench::testing::run_certbench;
using certbench::testing::shared_cluster;
using certbench::testing::temp_dir;

namespace {

constexpr const char* kSchema = "bad_inputs";

// The dataset options of every command below: 1,000 certificates in a schema of this file's own.
std::vector<std::string> on_dataset(std::vector<std::string> args) {
  args.insert(args.end(), {"--scale", "1000", "--schema", kSchema, "--dsn", shared_cluster().dsn()});
  return args;
}

// A loopback address whose port a listener of the test's own holds while it lives.
struct TakenPort {
  explicit TakenPort(const fs::path& log)
      : port(certbench::sys::free_loopback_port()), listener(certbench::testing::start_silent_listener(port, log)) {}
  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port); }
  int port;
  certbench::testing::ChildProcess listener;
};

class BadInput : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto seeded = run_certbench(on_dataset({"seed"}));
    ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
  }
  void SetUp() override { dir_ = temp_dir("certbench-test-bad-input-"); }
  void TearDown() override { fs::remove_all(dir_); }
  // A path under a regular file: no folder can be made there.
  fs::path unmakeable() {
    std::ofstream(dir_ / "a-file") << "x";
    return dir_ / "a-file" / "sub";
  }
  fs::path dir_;
};

}  // namespace

// A run's Redis: REDIS_URL that is not a Redis URL is bad usage; one nothing answers at is the
// environment. Both before anything is measured: no results.json.
TEST_F(BadInput, RunRefusesARedisThatIsNotOneBeforeMeasuring) {
  const auto out = dir_ / "out";
  const auto bad = run_certbench(on_dataset({"run", "--quick", "--only", "caching", "--out", out.string()}),
                                 {"REDIS_URL=http://cache"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_TRUE(has(bad.err, "no redis:// scheme")) << bad.err;
  EXPECT_FALSE(fs::exists(out / "results.json"));
  const auto none = run_certbench(
      on_dataset({"run", "--quick", "--only", "caching", "--redis", "redis://127.0.0.1:1", "--out", out.string()}));
  EXPECT_EQ(none.exit_code, 3) << none.err;
  EXPECT_TRUE(has(none.err, "Redis at 127.0.0.1:1")) << none.err;
  EXPECT_FALSE(fs::exists(out / "results.json"));
}

// run --save-dir that is a file or missing; run --listen on a port in use: refused once the
// dataset is ready, before measuring.
TEST_F(BadInput, RunRefusesASaveDirThatIsNotOneAndAListenPortInUse) {
  const auto out = dir_ / "out";
  std::ofstream(dir_ / "file") << "x";
  for (const auto& save_dir : {dir_ / "file", dir_ / "missing"}) {
    const auto r = run_certbench(
        on_dataset({"run", "--quick", "--only", "saves", "--save-dir", save_dir.string(), "--out", out.string()}));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(has(r.err, "is not a directory")) << r.err;
    EXPECT_FALSE(fs::exists(out / "results.json"));
  }
  const TakenPort taken(dir_ / "listener.log");
  const auto r = run_certbench(
      on_dataset({"run", "--quick", "--only", "derived", "--listen", taken.address(), "--out", out.string()}));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(has(r.err, "cannot serve /metrics on")) << r.err;
  EXPECT_FALSE(fs::exists(out / "results.json"));
}

// bench: an option that is neither certbench's nor Google Benchmark's, bad scales and counts.
TEST_F(BadInput, BenchRefusesUnknownFlagsAndBadNumbers) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"bench", "--bogus"}, {"bench", "--scales", "0"}, {"bench", "--naive-max", "lots"}}) {
    const auto r = run_certbench(args);
    EXPECT_EQ(r.exit_code, 2) << args[1] << ": " << r.err;
    EXPECT_LE(lines(r.err), 2u) << "one line and the usage: " << r.err;
  }
  EXPECT_TRUE(has(run_certbench({"bench", "--bogus"}).err, "unknown option --bogus"));
}

// show --pgbench-script for an implementation whose statements are not one script.
TEST_F(BadInput, ShowRefusesAPgbenchScriptOfSeveralSessions) {
  for (const char* impl : {"naive", "parallel"}) {
    const auto r = run_certbench(on_dataset({"show", "public", "--impl", impl, "--pgbench-script"}));
    EXPECT_EQ(r.exit_code, 2) << impl << ": " << r.err;
    EXPECT_TRUE(has(r.err, "--pgbench-script")) << r.err;
    EXPECT_TRUE(r.out.empty()) << "no script printed: " << r.out;
  }
}

// A cursor made under another CERTBENCH_CURSOR_KEY reads as altered: nothing of the page is shown.
TEST_F(BadInput, ACursorMadeUnderAnotherKeyIsRefused) {
  const auto first = run_certbench(on_dataset({"show", "public", "--size", "5"}), {"CERTBENCH_CURSOR_KEY=one key"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(first.out, m, std::regex(R"(--after ([A-Za-z0-9_\-]+))")) ||
              std::regex_search(first.err, m, std::regex(R"(--after ([A-Za-z0-9_\-]+))")))
      << first.out << first.err;
  const std::string cursor = m[1];
  const auto same = run_certbench(on_dataset({"show", "public", "--size", "5", "--after", cursor}),
                                  {"CERTBENCH_CURSOR_KEY=one key"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  const auto other = run_certbench(on_dataset({"show", "public", "--size", "5", "--after", cursor}),
                                   {"CERTBENCH_CURSOR_KEY=another key"});
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_TRUE(has(other.err, "the cursor was altered")) << other.err;
}

// save with a directory as its content: one line, nothing saved.
TEST_F(BadInput, SaveRefusesADirectoryAsItsContent) {
  fs::create_directory(dir_ / "into");
  for (const char* option : {"--base64-file", "--file"}) {
    const auto r = run_certbench({"save", option, dir_.string(), "--name", "x.png", "--dir", (dir_ / "into").string()});
    EXPECT_EQ(r.exit_code, 2) << option << ": " << r.err;
    EXPECT_TRUE(has(r.err, "is not a regular file")) << r.err;
    EXPECT_TRUE(fs::is_empty(dir_ / "into"));
  }
}

// serve: a host name where an address is wanted, a port in use, a save folder that is a file.
TEST_F(BadInput, ServeRefusesWhatItCannotListenOnOrSaveInto) {
  const TakenPort taken(dir_ / "listener.log");
  std::ofstream(dir_ / "file") << "x";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases{
      {{"serve", "--listen", "localhost:8080"}, "'localhost' is not an IP address"},
      {{"serve", "--listen", taken.address()}, "cannot listen on " + taken.address()},
      {{"serve", "--listen", "127.0.0.1:0", "--save-dir", (dir_ / "file").string()}, "is not a directory"}};
  for (const auto& [args, message] : cases) {
    const auto r = run_certbench(on_dataset(args));
    EXPECT_EQ(r.exit_code, 2) << args[2] << ": " << r.err;
    EXPECT_TRUE(has(r.err, message)) << r.err;
    EXPECT_FALSE(has(r.out, "listening on")) << r.out;
  }
}

// Output folders that cannot be made: load-http --out (before any request), bench --results (once
// its dataset is seeded, before measuring), gate --summary.
TEST_F(BadInput, FoldersThatCannotBeMadeAreRefusedBeforeAnyWork) {
  const auto bad = unmakeable();
  const auto load = run_certbench({"load-http", "http://127.0.0.1:1/", "--rate", "10", "--seconds", "0.3", "--out", bad.string()});
  EXPECT_EQ(load.exit_code, 2) << load.err;
  EXPECT_TRUE(has(load.err, "cannot make the folder")) << load.err;
  EXPECT_FALSE(has(load.err, "nothing answered")) << "no request is sent: " << load.err;
  const auto bench = run_certbench(
      {"bench", "--suite", "caching", "--scales", "1000", "--results", bad.string(), "--dsn", shared_cluster().dsn()});
  EXPECT_EQ(bench.exit_code, 2) << bench.err;
  EXPECT_TRUE(has(bench.err, "--results " + bad.string() + ": cannot make the folder")) << bench.err;
  const fs::path fixture = fs::path(CERTBENCH_SOURCE_DIR) / "tests/fixtures/results-quick.json";
  const auto gate = run_certbench({"gate", "--current", fixture.string(), "--baseline", fixture.string(), "--summary",
                                   (dir_ / "no/such/dir/s.md").string()});
  EXPECT_EQ(gate.exit_code, 2) << gate.err;
  EXPECT_TRUE(has(gate.err, "is not a directory")) << gate.err;
}

// gate --current alone judges a run's head/base comparison; a run without one is refused.
TEST_F(BadInput, GateWithoutABaselineNeedsACompareRun) {
  const fs::path fixture = fs::path(CERTBENCH_SOURCE_DIR) / "tests/fixtures/results-quick.json";
  const auto r = run_certbench({"gate", "--current", fixture.string(), "--out", (dir_ / "v.json").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "has no head/base comparison")) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "v.json"));
}
