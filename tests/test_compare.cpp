// run --compare-binary: the worker's line protocol (both sides), a bogus old build refused at once,
// and the same build on both sides measured and gated head/base without ever failing. A slower
// head is the in-process A/B of test_gate.cpp (GateInProcess): two real builds that differ cost a
// second build, which a test cannot afford.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "certbench/core/errors.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/worker.hpp"
#include "certbench/sys/process.hpp"
#include "support/cluster.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using namespace certbench;
using certbench::testing::run_certbench;
using certbench::testing::has;

namespace {

std::size_t lines_of(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n + (!text.empty() && text.back() != '\n');
}

fs::path temp_dir() {
  auto dir = fs::temp_directory_path() / ("certbench-compare-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

// An executable shell script in `dir`.
std::string script(const fs::path& dir, const std::string& name, const std::string& body) {
  const auto path = dir / name;
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  return path.string();
}

constexpr const char* kSchema = "compare_test";

void seed_small() {
  fixtures::SeedOptions o;
  o.spec = {2000, 42, fixtures::IndexSet::best};
  o.schema = kSchema;
  fixtures::seed(certbench::testing::shared_cluster().dsn(), o);
}

// Requests answered by serve_worker, one answer line each.
std::vector<std::string> serve(const std::vector<std::string>& requests) {
  std::stringstream in, out;
  for (const auto& r : requests) in << r << "\n";
  EXPECT_EQ(harness::serve_worker(in, out), 0);
  std::vector<std::string> answers;
  for (std::string line; std::getline(out, line);) answers.push_back(line);
  return answers;
}

}  // namespace

TEST(CompareWorker, AnswersItsProtocolAndEveryBadRequestWithOneErrorLine) {
  seed_small();
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  const auto a = serve({"hello 1", "hello 7", "list get_public_certificates limited 0 1 20 3", "frobnicate",
                        std::string("open ") + kSchema + " " + dsn, "list get_public_certificates limited 0 1 20 3",
                        "list certificates_endpoint cached 0 1 20 2", "list nowhere limited 0 1 20 1",
                        "list get_public_certificates fastest 0 1 20 1", "list get_public_certificates limited 0 1 x 1",
                        "list get_public_certificates limited 0 1 20 0", "list get_public_certificates limited 0 1 20",
                        "", "list get_public_certificates limited 0 0 20 1",
                        "list get_public_certificates limited 0 1 1001 1", "quit", "hello 1"});
  ASSERT_EQ(a.size(), 16u);  // nothing after quit
  EXPECT_TRUE(has(a[0], "certbench-worker 1 certbench ")) << a[0];
  EXPECT_TRUE(has(a[1], "error 2 protocol 7 is not spoken here")) << a[1];
  EXPECT_TRUE(has(a[2], "error 2 list before open")) << a[2];
  EXPECT_TRUE(has(a[3], "error 2 unknown request 'frobnicate'")) << a[3];
  EXPECT_EQ(a[4], "ok");
  for (const auto* line : {&a[5], &a[6]}) {
    std::istringstream w(*line);
    std::string ok;
    double seconds = 0;
    std::uint64_t rows = 0;
    w >> ok >> seconds >> rows;
    EXPECT_EQ(ok, "ok") << *line;
    EXPECT_GT(seconds, 0) << *line;
    EXPECT_EQ(rows, 20u) << *line;
  }
  EXPECT_TRUE(has(a[7], "error 2 unknown listing 'nowhere'")) << a[7];
  EXPECT_TRUE(has(a[8], "error 2 ")) << a[8];
  EXPECT_TRUE(has(a[8], "fastest")) << a[8];
  EXPECT_TRUE(has(a[9], "error 2 the size must be a number")) << a[9];
  EXPECT_TRUE(has(a[10], "error 2 the count must be between")) << a[10];
  EXPECT_TRUE(has(a[11], "error 2 list takes")) << a[11];
  EXPECT_EQ(a[12], "error 2 empty request");
  EXPECT_TRUE(has(a[13], "error 2 page numbers start at 1 (got 0)")) << a[13];
  EXPECT_TRUE(has(a[14], "error 2 page size must be between 1 and 1000 (got 1001)")) << a[14];
  EXPECT_EQ(a[15], "bye");
}

TEST(CompareWorker, TheClientRefusesWhatIsNoWorkerAndNamesAWorkerThatDies) {
  const auto dir = temp_dir();
  const auto expect_refused = [](const std::string& binary, const std::string& why, std::chrono::milliseconds timeout) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      harness::WorkerClient w(binary, timeout);
      ADD_FAILURE() << binary << " was taken for a worker";
    } catch (const InputError& e) {
      EXPECT_TRUE(has(e.what(), binary + " has no compatible worker (")) << e.what();
      EXPECT_TRUE(has(e.what(), why)) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, timeout + std::chrono::seconds(3));  // the child was ended
  };
  const std::chrono::milliseconds second(1000);
  expect_refused("/bin/true", "it exited with code 0 without answering hello", second);
  expect_refused(script(dir, "garbage", "echo 'Usage: frob [options]'; cat >/dev/null"),
                 "it answered hello with 'Usage: frob [options]'", second);
  expect_refused(script(dir, "old", "echo 'certbench worker: unknown subcommand' >&2; exit 2"),
                 "it exited with code 2 without answering hello: certbench worker: unknown subcommand", second);
  expect_refused(script(dir, "newer", "read l; echo 'certbench-worker 2 certbench 9.0'; cat >/dev/null"),
                 "it answered hello with 'certbench-worker 2", second);
  expect_refused(script(dir, "silent", "exec sleep 30"), "no answer to hello within", std::chrono::milliseconds(300));

  // It greets, then dies at the first request: one error naming the binary, the request and its stderr.
  const auto dies = script(dir, "dies", "read l; echo 'certbench-worker 1 certbench 0.0.1'; read l; "
                                        "echo 'lost my mind' >&2; exit 7");
  harness::WorkerClient w(dies, second);
  EXPECT_EQ(w.build().version, "certbench 0.0.1");
  try {
    w.open("postgresql://nowhere/db", "s");
    ADD_FAILURE() << "open answered";
  } catch (const EnvironmentError& e) {
    EXPECT_TRUE(has(e.what(), "the worker of " + dies + " ended during 'open' (exit 7): lost my mind")) << e.what();
  }

  // Its refusals, as the client reads them: `error 2` a usage error, `error 3` the environment's.
  const auto refuses = script(dir, "refuses", "read l; echo 'certbench-worker 1 certbench 0.0.1'; read l; "
                                              "echo 'error 2 no such schema'; read l; echo 'error 3 the disk is full'; "
                                              "cat >/dev/null");
  harness::WorkerClient r(refuses, second);
  try {
    r.open("postgresql://nowhere/db", "s");
    ADD_FAILURE() << "open answered";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "the worker of " + refuses + ": no such schema");
  }
  try {
    r.open("postgresql://nowhere/db", "s");
    ADD_FAILURE() << "open answered";
  } catch (const EnvironmentError& e) {
    EXPECT_EQ(std::string(e.what()), "the worker of " + refuses + ": the disk is full");
  }
  fs::remove_all(dir);
}

TEST(CompareCli, ABogusOldBinaryExits2WithOneLineBeforeAnyWork) {
  const auto dir = temp_dir();
  const auto garbage = script(dir, "garbage", "echo 'hello yourself'");
  for (const std::string& old : {std::string("/bin/true"), garbage}) {
    const auto t0 = std::chrono::steady_clock::now();
    // No --dsn: it must not even start a cluster.
    auto r = run_certbench({"run", "--quick", "--compare-binary", old, "--out", (dir / "out").string()});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(lines_of(r.err), 1u) << r.err;
    EXPECT_TRUE(has(r.err, "certbench: " + old + " has no compatible worker (")) << r.err;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
    EXPECT_FALSE(fs::exists(dir / "out"));
  }
  auto r = run_certbench({"run", "--compare-binary", (dir / "absent").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "not an executable file")) << r.err;
  r = run_certbench({"run", "--only", "compare"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "--only compare needs --compare-binary")) << r.err;
  r = run_certbench({"gate", "--current", (dir / "absent.json").string()});
  EXPECT_EQ(r.exit_code, 2);
  fs::remove_all(dir);
}

// The same build on both sides: compare series for every product path, the builds recorded, a
// results.json the schema accepts, and a gate that never says regression — with or without a
// baseline.
TEST(CompareCli, TheSameBuildOnBothSidesIsMeasuredAndNeverARegression) {
  seed_small();
  const auto dir = temp_dir();
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  auto r = run_certbench({"run", "--quick", "--compare-binary", CERTBENCH_BINARY, "--scale", "2000", "--schema", kSchema,
                          "--dsn", dsn, "--out", (dir / "run").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_TRUE(has(r.out, "base against head")) << r.out;
  EXPECT_TRUE(has(r.out, "head/base (95% interval)")) << r.out;
  const auto results_file = (dir / "run" / "results.json").string();
  std::ifstream in(results_file);
  const auto doc = nlohmann::json::parse(in);
  std::size_t compare = 0, other = 0;
  for (const auto& s : doc["series"]) {
    if (s["family"] != "compare") {
      ++other;
      continue;
    }
    ++compare;
    EXPECT_TRUE(s["mode"] == "base" || s["mode"] == "head") << s["key"];
    EXPECT_EQ(s["samples"]["latency"].size(), 16u) << s["key"];  // one per block, each on fresh sessions
    EXPECT_GE(s["values"]["batch"].get<double>(), 1) << s["key"];
  }
  EXPECT_EQ(compare, 10u);  // limited on four listings, cached at the endpoint; base and head each
  EXPECT_EQ(other, 0u);     // --compare-binary alone measures only the comparison
  ASSERT_EQ(doc["environment"]["builds"].size(), 2u);
  EXPECT_EQ(doc["environment"]["builds"][0]["role"], "base");
  EXPECT_EQ(doc["environment"]["builds"][0]["binary"], CERTBENCH_BINARY);
  EXPECT_TRUE(has(doc["environment"]["builds"][1]["version"].get<std::string>(), "certbench "));
  const auto validate = [](const std::string& file, const std::string& schema) {
    return sys::run_capture({"/usr/bin/python3", "-c",
                             "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), "
                             "json.load(open(sys.argv[2])), cls=jsonschema.Draft202012Validator)",
                             file, std::string(CERTBENCH_SOURCE_DIR) + "/reports/schema/" + schema});
  };
  auto valid = validate(results_file, "results.schema.json");
  EXPECT_EQ(valid.exit_code, 0) << valid.err;

  const auto verdict = (dir / "verdict.json").string();
  auto g = run_certbench({"gate", "--current", results_file, "--out", verdict});
  EXPECT_TRUE(g.exit_code == 0 || g.exit_code == 4) << g.out << g.err;
  EXPECT_TRUE(has(g.out, "latency head/base")) << g.out;
  EXPECT_TRUE(has(g.out, "baseline none")) << g.out;
  EXPECT_FALSE(has(g.out, "regression: ")) << g.out;
  valid = validate(verdict, "gate-verdict.schema.json");
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  std::ifstream vin(verdict);
  const auto v = nlohmann::json::parse(vin);
  EXPECT_TRUE(v["baseline"].is_null());
  EXPECT_EQ(v["checks"].size(), 5u);

  // With a baseline (this run as one: its compare series are dropped), the head/base checks still come.
  auto b = run_certbench({"baseline", "update", results_file, "--to", (dir / "base.json").string()});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::ifstream bin(dir / "base.json");
  EXPECT_TRUE(nlohmann::json::parse(bin)["series"].empty());
  g = run_certbench({"gate", "--baseline", results_file, "--current", results_file});
  EXPECT_TRUE(g.exit_code == 0 || g.exit_code == 4) << g.out << g.err;
  EXPECT_TRUE(has(g.out, "latency head/base")) << g.out;
  fs::remove_all(dir);
}
