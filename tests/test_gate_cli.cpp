// The regression gate as a user meets it: the real binary on files made from
// tests/fixtures/results-quick.json (a real run) — exit codes, lines, the verdict file, baseline
// update — then end to end on a real database, and regressions brought back on purpose in-process
// (harness::replacing). The gate's model without a database is tests/test_gate.cpp.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "certbench/core/errors.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/gate/gate.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"
#include "support/cluster.hpp"
#include "support/gate_trials.hpp"
#include "support/regressions.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using namespace certbench;
using certbench::testing::run_certbench;
using gate::Outcome;
using gate::Verdict;
using results::Metric;
using certbench::testing::has;
using certbench::testing::slurp;

namespace {
const fs::path kFixture = fs::path(CERTBENCH_SOURCE_DIR) / "tests/fixtures/results-quick.json";
}  // namespace

// ---- the binary ----------------------------------------------------------------------------------

namespace {

fs::path temp_dir() { return sys::make_unique_dir(sys::throwaway_parent(), "certbench-test-gate-"); }

void write_run(const fs::path& path, const results::Run& run) { sys::write_file_atomic(path, results::to_json(run)); }

results::Series& fixture_series(results::Run& run, const std::string& key) {
  for (auto& s : run.series)
    if (s.key() == key) return s;
  throw std::logic_error("no series " + key);
}

const std::string kPublicLimited = "listing/get_public_certificates/limited/page=1/scale=1000/size=20";

}  // namespace

TEST(GateCli, TheFixtureAgainstItselfPasses) {
  const auto dir = temp_dir();
  const auto summary = dir / "step-summary.md";
  std::ofstream(summary) << "earlier step\n";
  auto r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", kFixture.string(), "--out",
                          (dir / "verdict.json").string(), "--summary", (dir / "gate.md").string()},
                         {"GITHUB_STEP_SUMMARY=" + summary.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  for (const char* part : {"tier  family", "round_trips", "plan_shape", "shared_buffers", "latency speed-up",
                           "throughput speed-up", "gate: PASS (exit 0)"})
    EXPECT_TRUE(has(r.out, part)) << part << "\n" << r.out;
  const auto verdict = nlohmann::json::parse(slurp(dir / "verdict.json"));
  EXPECT_EQ(verdict["verdict"], "pass");
  EXPECT_EQ(verdict["counts"]["regression"], 0);
  EXPECT_GT(verdict["counts"]["pass"].get<int>(), 100);
  const auto md = slurp(dir / "gate.md");
  EXPECT_TRUE(has(md, "## certbench gate: PASS"));
  const auto appended = slurp(summary);
  EXPECT_EQ(appended.rfind("earlier step\n", 0), 0u) << "appended, not replaced";
  EXPECT_TRUE(has(appended, "## certbench gate: PASS"));
  fs::remove_all(dir);
}

TEST(GateCli, AnEditedRoundTripCountExits1WithTheLineNamingIt) {
  const auto dir = temp_dir();
  auto run = results::load(kFixture);
  fixture_series(run, kPublicLimited).values[Metric::round_trips] = 21;
  write_run(dir / "run.json", run);
  auto r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", (dir / "run.json").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "regression: tier 1 " + kPublicLimited + ": round_trips per call 1 -> 21 (allowed: exact)")) << r.out;
  EXPECT_TRUE(has(r.out, "gate: REGRESSION (exit 1)")) << r.out;
  fs::remove_all(dir);
}

// The server's statements (an N+1 the client would not see, e.g. in a function) and a cache that
// stopped hitting are tier-1 regressions too.
TEST(GateCli, ServerStatementsAndCacheHitsAreCountedInTier1) {
  const auto dir = temp_dir();
  auto run = results::load(kFixture);
  const std::string hit = "caching/get_template_by_id/in_process/hit/scale=1000";
  ASSERT_TRUE(fixture_series(run, kPublicLimited).value(Metric::server_statements).has_value());
  fixture_series(run, kPublicLimited).values[Metric::server_statements] = 6;
  fixture_series(run, hit).values[Metric::cache_hits] = 0.5;
  fixture_series(run, hit).values[Metric::cache_misses] = 0.5;
  write_run(dir / "run.json", run);
  auto r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", (dir / "run.json").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, kPublicLimited + ": server_statements per call 1 -> 6 (allowed: exact)")) << r.out;
  EXPECT_TRUE(has(r.out, hit + ": cache_hits per call 1 -> 0.5 (allowed: exact)")) << r.out;
  EXPECT_TRUE(has(r.out, hit + ": cache_misses per call 0 -> 0.5 (allowed: exact)")) << r.out;
  // More hits than before is no regression.
  fixture_series(run, hit).values[Metric::cache_hits] = 1;
  fixture_series(run, hit).values[Metric::cache_misses] = 0;
  fixture_series(run, kPublicLimited).values[Metric::server_statements] = 1;
  write_run(dir / "run.json", run);
  r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", (dir / "run.json").string()});
  EXPECT_NE(r.exit_code, 1) << r.out << r.err;
  fs::remove_all(dir);
}

TEST(GateCli, ALostSpeedupExits1AndANoisyOneExits4) {
  const auto dir = temp_dir();
  auto run = results::load(kFixture);
  results::Delta* d = nullptr;
  for (auto& x : run.deltas)
    if (x.other_key == kPublicLimited && x.metric == Metric::latency) d = &x;
  ASSERT_NE(d, nullptr);
  d->factor = {2.2, 1.4, 3.5};
  write_run(dir / "noisy.json", run);
  auto r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", (dir / "noisy.json").string()});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "inconclusive: tier 2 " + kPublicLimited + ": latency speed-up 2.20x (1.40x to 3.50x) straddles"))
      << r.out;
  d->factor = {1.1, 0.9, 1.3};
  write_run(dir / "lost.json", run);
  r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", (dir / "lost.json").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "is below the floor 2.00x")) << r.out;
  fs::remove_all(dir);
}

TEST(GateCli, BadBaselineRunOrPolicyExits2WithOneLineNamingTheFile) {
  const auto dir = temp_dir();
  const auto text = slurp(kFixture);
  std::ofstream(dir / "cut.json") << text.substr(0, text.size() / 2);
  std::ofstream(dir / "corrupt.json") << "{\"schema_version\": 2, \"environment\": [}";
  auto old = text;
  old.replace(old.find("\"schema_version\": 2"), 19, "\"schema_version\": 1");
  std::ofstream(dir / "old.json") << old;
  std::ofstream(dir / "other.json") << "{\"policy_version\": 1}";  // a policy, not a results file
  std::ofstream(dir / "bad-policy.json") << R"({"policy_version": 1, "defaults": {"tolerance": {"peak_heap": {"relative": -1}}}})";
  std::ofstream(dir / "cut-policy.json") << R"({"policy_version": 1, "defaults": )";
  std::ofstream(dir / "v9-policy.json") << R"({"policy_version": 9})";
  auto other_dataset = results::load(kFixture);
  other_dataset.environment.dataset_seed = 7;
  other_dataset.environment.dataset_fingerprint = "scale=1000 seed=7 indexes=best version=1";
  write_run(dir / "seed7.json", other_dataset);
  const auto fixture = kFixture.string();
  struct Case {
    std::vector<std::string> args;
    std::string file, why;
  };
  const auto at = [&](const char* name) { return (dir / name).string(); };
  const std::vector<Case> cases{
      {{"--baseline", at("cut.json"), "--current", fixture}, "cut.json", "is not JSON (truncated or corrupt)"},
      {{"--baseline", fixture, "--current", at("corrupt.json")}, "corrupt.json", "is not JSON"},
      {{"--baseline", at("old.json"), "--current", fixture}, "old.json", "has schema_version 1"},
      {{"--baseline", at("other.json"), "--current", fixture}, "other.json", "not a certbench results file"},
      {{"--baseline", at("none.json"), "--current", fixture}, "none.json", "cannot read"},
      {{"--baseline", fixture, "--current", fixture, "--policy", at("bad-policy.json")}, "bad-policy.json",
       "defaults.tolerance.peak_heap.relative: must be a number >= 0 (got -1)"},
      {{"--baseline", fixture, "--current", fixture, "--policy", at("cut-policy.json")}, "cut-policy.json", "is not JSON"},
      {{"--baseline", fixture, "--current", fixture, "--policy", at("v9-policy.json")}, "v9-policy.json",
       "policy_version: is 9"},
      {{"--baseline", fixture, "--current", fixture, "--policy", at("none-policy.json")}, "none-policy.json",
       "cannot read"},
      {{"--baseline", fixture, "--current", at("seed7.json")}, "seed7.json", "measured another dataset"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args{"gate"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--out", at("verdict.json")});
    auto r = run_certbench(args);
    EXPECT_EQ(r.exit_code, 2) << c.file << ": " << r.err;
    EXPECT_TRUE(has(r.err, c.file) && has(r.err, c.why)) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(dir / "verdict.json")) << "no verdict from bad input";
  }
  auto r = run_certbench({"gate", "--baseline", fixture, "--current", fixture, "--out", at("no/such/dir/v.json")});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "is not a directory")) << r.err;
  r = run_certbench({"gate", "--baseline", fixture});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "--current")) << r.err;
  fs::remove_all(dir);
}

TEST(GateCli, AnIncompleteRunExits3) {
  const auto dir = temp_dir();
  auto run = results::load(kFixture);
  run.complete = false;
  run.failure = "file saves: lost the connection to PostgreSQL";
  std::erase_if(run.series, [](const results::Series& s) { return s.family == "file_save" || s.family == "ceiling"; });
  write_run(dir / "run.json", run);
  auto r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", (dir / "run.json").string(), "--out",
                          (dir / "v.json").string()});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_TRUE(has(r.err, "run.json is an incomplete run (file saves: lost the connection")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(has(r.out, "gate: INCOMPLETE RUN (exit 3)")) << r.out;
  EXPECT_EQ(nlohmann::json::parse(slurp(dir / "v.json"))["verdict"], "incomplete");
  fs::remove_all(dir);
}

// Debian's python3 with python3-jsonschema: the verdict file and the committed policy against the
// schemas docs/gate.md points to.
TEST(GateCli, TheVerdictFileAndThePolicyValidateAgainstTheirSchemas) {
  const auto dir = temp_dir();
  auto run = results::load(kFixture);
  fixture_series(run, kPublicLimited).values[Metric::round_trips] = 21;
  for (auto& p : run.plans)
    if (p.family == "listing" && p.implementation == "limited" && p.path == "get_user_certificates")
      p.nodes = {"Limit", "Sort", "Seq Scan"};
  for (auto& d : run.deltas)
    if (d.other_key == kPublicLimited && d.metric == Metric::latency) d.factor = {2.2, 1.4, 3.5};
  write_run(dir / "run.json", run);
  auto r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", (dir / "run.json").string(), "--out",
                          (dir / "verdict.json").string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto verdict = nlohmann::json::parse(slurp(dir / "verdict.json"));
  EXPECT_EQ(verdict["counts"]["regression"], 2);
  EXPECT_EQ(verdict["counts"]["inconclusive"], 1);
  const auto validate = [](const fs::path& doc, const std::string& schema) {
    return sys::run_capture({"/usr/bin/python3", "-c",
                             "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), "
                             "json.load(open(sys.argv[2])), cls=jsonschema.Draft202012Validator)",
                             doc.string(), std::string(CERTBENCH_SOURCE_DIR) + "/reports/schema/" + schema});
  };
  auto valid = validate(dir / "verdict.json", "gate-verdict.schema.json");
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  valid = validate(fs::path(CERTBENCH_SOURCE_DIR) / "reports/baselines/policy.json", "gate-policy.schema.json");
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  fs::remove_all(dir);
}

TEST(GateCli, BaselineUpdateWritesACompleteRunOnPurpose) {
  const auto dir = temp_dir();
  auto r = run_certbench({"baseline", "update", kFixture.string(), "--to", (dir / "baselines/quick.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "commit it to make it the gate's baseline")) << r.err;
  const auto b = results::load(dir / "baselines/quick.json");
  const auto run = results::load(kFixture);
  EXPECT_EQ(b.series.size(), run.series.size());
  EXPECT_EQ(b.plans, run.plans);
  EXPECT_EQ(b.find(kPublicLimited)->samples_of(Metric::latency), nullptr);
  EXPECT_LT(fs::file_size(dir / "baselines/quick.json"), fs::file_size(kFixture));
  r = run_certbench({"gate", "--baseline", (dir / "baselines/quick.json").string(), "--current", kFixture.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  auto incomplete = run;
  incomplete.complete = false;
  incomplete.failure = "caching: Redis died";
  write_run(dir / "incomplete.json", incomplete);
  r = run_certbench({"baseline", "update", (dir / "incomplete.json").string(), "--to", (dir / "b2.json").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "incomplete.json is an incomplete run (caching: Redis died)")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "b2.json"));
  fs::remove_all(dir);
}

// End to end on the real database: the same code measured twice never regresses; the dataset
// without its indexes fails tier 1 on the server's buffers and the plan, with no clock involved.
TEST(GateEndToEnd, ADroppedIndexFailsTier1AndAnUnchangedRunDoesNot) {
  const auto dir = temp_dir();
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  auto run = [&](const std::string& name, const char* schema, const char* indexes) {
    auto r = run_certbench({"run", "--quick", "--only", "listing", "--scale", "10000", "--schema", schema, "--indexes",
                            indexes, "--out", (dir / name).string(), "--dsn", dsn});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return (dir / name / "results.json").string();
  };
  const auto base = run("base", "gate_best", "best");
  const auto again = run("again", "gate_best", "best");
  const auto dropped = run("dropped", "gate_none", "none");

  auto same = run_certbench({"gate", "--baseline", base, "--current", again});
  EXPECT_TRUE(same.exit_code == 0 || same.exit_code == 4) << same.out << same.err;
  EXPECT_FALSE(has(same.out, "regression: tier 1")) << same.out;

  auto r = run_certbench({"gate", "--baseline", base, "--current", dropped});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string limited = "listing/get_public_certificates/limited/page=1/scale=10000/size=20";
  EXPECT_TRUE(has(r.out, "regression: tier 1 " + limited + ": server_buffers per call")) << r.out;
  EXPECT_TRUE(has(r.out, "regression: tier 1 " + limited + ": plan_shape changed")) << r.out;
  // Counts that do not depend on the indexes stay put: the N+1 detector does not cry wolf.
  EXPECT_FALSE(has(r.out, limited + ": round_trips")) << r.out;
  EXPECT_FALSE(has(r.out, limited + ": server_statements")) << r.out;
  fs::remove_all(dir);
}

// ---- a regression brought back on purpose, in-process (harness::replacing) ------------

class GateInProcess : public ::testing::Test {
 protected:
  static certbench::testing::DatasetOf dataset(const char* schema = "gate_inproc", const char* indexes = "best") {
    return {certbench::testing::shared_cluster().dsn(), schema, 5000, 42, indexes};
  }
  static void SetUpTestSuite() {
    fixtures::SeedOptions o;
    o.spec = {5000, 42, fixtures::IndexSet::best};
    o.schema = "gate_inproc";
    fixtures::seed(certbench::testing::shared_cluster().dsn(), o);
  }
  static results::Run measure(const harness::ListingOpener& open = harness::open_listing_session) {
    return certbench::testing::measure_listings_run(dataset(), std::chrono::milliseconds(300), open);
  }
};

TEST_F(GateInProcess, AnNPlusOneBroughtBackIntoTheLimitedListingsFailsTier1) {
  const auto baseline = measure();
  const results::Run current = measure(harness::replacing("limited", [](harness::ListingSession& s) {
    return std::make_unique<certbench::testing::NPlusOneListings>(*s.db);
  }));
  const auto report = gate::judge(baseline, "baseline", current, "current", gate::default_policy());
  EXPECT_EQ(report.verdict, Verdict::regression);
  const std::string key = "listing/get_public_certificates/limited/page=1/scale=5000/size=20";
  std::set<std::string> failed;
  for (const auto& c : report.checks)
    if (c.outcome == Outcome::regression && c.key == key) failed.insert(c.figure);
  EXPECT_TRUE(failed.contains("round_trips")) << "1 -> 21 statements per call";
  EXPECT_TRUE(failed.contains("server_statements"));
  // And the same code against itself in the same way never regresses on tier 1.
  const auto again = gate::judge(baseline, "baseline", measure(), "again", gate::default_policy());
  for (const auto& c : again.checks)
    if (c.tier == 1) {
      EXPECT_NE(c.outcome, Outcome::regression) << c.key << " " << c.detail;
    }
}

// Two builds of the limited paths measured interleaved in one run (base, head, base, …): a head
// three times as slow is caught on timing alone; the same build against itself is not. On a
// loaded machine (ctest -j2) a path may come out inconclusive — the gate's answer to noise — but
// never passes, and the same code never regresses. (scripts/gate-noise measures the rates.)
TEST_F(GateInProcess, ASlowerLimitedListingFailsTier2InAnInterleavedABAndTheSameCodeDoesNot) {
  const auto slower = certbench::testing::head_base_trial(
      dataset(), [](harness::ListingSession& s) { return std::make_unique<certbench::testing::SlowedListings>(*s.db, 3.0); },
      std::chrono::milliseconds(400));
  ASSERT_EQ(slower.size(), 4u);  // the four listings' limited
  std::size_t caught = 0;
  for (const auto& c : slower) {
    EXPECT_TRUE(c.outcome == Outcome::regression || c.outcome == Outcome::inconclusive) << c.key << ": " << c.detail;
    caught += c.outcome == Outcome::regression ? 1 : 0;
  }
  EXPECT_GT(caught, 0u);
  const auto same = certbench::testing::head_base_trial(dataset(), {}, std::chrono::milliseconds(300));
  ASSERT_EQ(same.size(), 4u);
  for (const auto& c : same) EXPECT_NE(c.outcome, Outcome::regression) << c.key << ": " << c.detail;
}
