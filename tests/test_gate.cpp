// The regression gate (certbench::gate) without a database: synthetic runs for every verdict and
// exit code, the Mann-Whitney and Holm figures against scipy's, the policy file's errors; and the
// real binary on files made from tests/fixtures/results-quick.json (a real run).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "certbench/core/errors.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/gate/gate.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/results/json.hpp"
#include "certbench/results/statistics.hpp"
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

results::Series listing(const std::string& impl, double trips, double rows, double bytes, double heap,
                        std::string path = "get_public_certificates") {
  results::Series s;
  s.family = "listing";
  s.path = std::move(path);
  s.implementation = impl;
  s.parameters = {{"page", 1}, {"scale", 1000}, {"size", 20}};
  s.values = {{Metric::round_trips, trips}, {Metric::rows_received, rows}, {Metric::bytes_received, bytes}};
  s.samples[Metric::latency] = std::vector<double>(30, impl == "naive" ? 6e-3 : 5e-4);
  s.samples[Metric::peak_heap] = std::vector<double>(30, heap);
  return s;
}

results::Plan plan(const std::string& impl, std::vector<std::string> nodes, double buffers, std::uint64_t executions = 1,
                   std::string path = "get_public_certificates") {
  results::Plan p;
  p.family = "listing";
  p.path = std::move(path);
  p.implementation = impl;
  p.parameters = {{"page", 1}, {"scale", 1000}, {"size", 20}};
  p.statement = "SELECT " + impl;
  p.executions = executions;
  p.nodes = std::move(nodes);
  p.shared_hit = buffers;
  return p;
}

results::Delta speedup(const std::string& other_key, const std::string& naive_key, results::Interval f,
                       Metric metric = Metric::latency) {
  results::Delta d;
  d.baseline_key = naive_key;
  d.other_key = other_key;
  d.metric = metric;
  d.factor = f;
  d.method = std::string(results::method::paired_bootstrap);
  d.baseline_n = d.other_n = 30;
  return d;
}

// A small complete run: one listing, naive and optimized, with plans and the optimized speed-up
// 12x (10x to 15x); one cache path with its database trips.
results::Run sample_run() {
  results::Run run;
  auto& e = run.environment;
  e.certbench_version = "0.1.0";
  e.git_commit = "abc";
  e.postgres_version = "15.18 (Debian 15.18-0+deb12u1)";
  e.postgres_settings = {{"work_mem", "4MB"}, {"fsync", "off"}};
  e.host = "vm";
  e.cpu_model = "cpu";
  e.cores = 2;
  e.dataset_scale = 1000;
  e.dataset_seed = 42;
  e.dataset_indexes = "best";
  e.dataset_fingerprint = "scale=1000 seed=42 indexes=best version=1";
  run.complete = true;
  run.series.push_back(listing("naive", 5, 774, 751506, 1711504));
  run.series.push_back(listing("optimized", 1, 20, 3350, 18048));
  results::Series hit;
  hit.family = "caching";
  hit.path = "get_template_by_id";
  hit.implementation = "in_process";
  hit.mode = "hit";
  hit.parameters = {{"scale", 1000}};
  hit.values = {{Metric::db_round_trips, 0}, {Metric::redis_round_trips, 0}, {Metric::batch, 1000}};
  hit.samples[Metric::latency] = std::vector<double>(30, 4e-8);
  run.series.push_back(hit);
  for (int i = 0; i < 5; ++i) run.plans.push_back(plan("naive", {"Seq Scan"}, 40));
  run.plans.push_back(plan("optimized", {"Limit", "Merge Append", "Index Scan", "Index Scan", "Index Scan"}, 29));
  run.deltas.push_back(speedup(run.series[1].key(), run.series[0].key(), {12, 10, 15}));
  return run;
}

results::Series& series_of(results::Run& run, const std::string& impl) {
  for (auto& s : run.series)
    if (s.implementation == impl) return s;
  throw std::logic_error("no series " + impl);
}

gate::Report judge(const results::Run& base, const results::Run& current,
                   const gate::Policy& policy = gate::default_policy()) {
  return gate::judge(base, "BASE.json", current, "RUN.json", policy);
}

const gate::Check* find(const gate::Report& r, const std::string& figure, const std::string& impl = "optimized") {
  for (const auto& c : r.checks)
    if (c.figure == figure && c.implementation == impl) return &c;
  return nullptr;
}

std::string policy_error(const std::string& text) {
  try {
    gate::parse_policy(text, "p.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

// ---- statistics ---------------------------------------------------------------------------------

// Reference figures: scipy.stats.mannwhitneyu(a, b, method="asymptotic") (use_continuity=True,
// two-sided), Debian's python3-scipy.
TEST(Gate, MannWhitneyMatchesScipy) {
  struct Case {
    std::vector<double> a, b;
    double u, p;
  };
  const std::vector<Case> cases{
      {{1.1, 2.2, 3.3, 4.4, 5.5, 6.6, 7.7, 8.8}, {2, 4, 6, 8, 10, 12, 14, 16, 18}, 16.0, 0.06060196971200607},
      {{1, 2, 2, 3, 3, 3, 4, 5}, {3, 3, 4, 4, 5, 5, 6, 7, 7}, 11.0, 0.01630200829707017},  // ties
      {{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99.5, 0.00021101981687501444},
      {{5, 5, 5}, {5, 5, 5}, 4.5, 1.0},  // all tied: nothing to tell apart
  };
  for (const auto& c : cases) {
    const auto t = results::mann_whitney_u(c.a, c.b);
    EXPECT_DOUBLE_EQ(t.u, c.u);
    EXPECT_NEAR(t.p, c.p, 1e-12);
  }
  EXPECT_GT(results::mann_whitney_u(cases[2].a, cases[2].b).z, 0) << "a is the larger sample";
  EXPECT_LT(results::mann_whitney_u(cases[2].b, cases[2].a).z, 0);
  EXPECT_THROW(results::mann_whitney_u({}, cases[0].b), std::invalid_argument);
}

TEST(Gate, HolmAdjustsLikeTheTextbook) {
  // Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1, never decreasing: 0.02, 0.03, 0.06, 0.06.
  const std::vector<double> p{0.01, 0.04, 0.03, 0.005};
  const auto adjusted = results::holm_adjust(p);
  const std::vector<double> expected{0.03, 0.06, 0.06, 0.02};
  ASSERT_EQ(adjusted.size(), expected.size());
  for (std::size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(adjusted[i], expected[i], 1e-15) << i;
  EXPECT_EQ(results::holm_adjust(std::vector<double>{0.6, 0.7}), (std::vector<double>{1.0, 1.0}));
  EXPECT_TRUE(results::holm_adjust(std::vector<double>{}).empty());
}

// ---- tier 1 -------------------------------------------------------------------------------------

TEST(Gate, AnUnchangedRunPasses) {
  const auto run = sample_run();
  const auto r = judge(run, run);
  EXPECT_EQ(r.verdict, Verdict::pass);
  EXPECT_EQ(gate::exit_code(r.verdict), ExitCode::ok);
  for (const char* f : {"round_trips", "rows_received", "bytes_received", "peak_heap", "shared_buffers", "plan_shape",
                        "speedup:latency"})
    ASSERT_NE(find(r, f), nullptr) << f;
  ASSERT_NE(find(r, "db_round_trips", "in_process"), nullptr);
  for (const auto& c : r.checks) EXPECT_EQ(c.outcome, Outcome::pass) << c.key << " " << c.figure << ": " << c.detail;
  // The default policy leaves naive's plans alone: the code before the review is not the product.
  EXPECT_EQ(find(r, "plan_shape", "naive"), nullptr);
  EXPECT_EQ(find(r, "shared_buffers", "naive"), nullptr);
  EXPECT_NE(find(r, "round_trips", "naive"), nullptr);
}

TEST(Gate, ARoundTripRegressionNamesThePathTheFigureBeforeAndAfter) {
  const auto base = sample_run();
  auto current = base;
  series_of(current, "optimized").values[Metric::round_trips] = 21;  // an N+1 came back
  const auto r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::regression);
  EXPECT_EQ(gate::exit_code(r.verdict), ExitCode::regression);
  const auto* c = find(r, "round_trips");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->outcome, Outcome::regression);
  EXPECT_EQ(c->baseline.value, 1);
  EXPECT_EQ(c->current.value, 21);
  EXPECT_EQ(c->detail, "round_trips per call 1 -> 21 (allowed: exact)");
  const auto text = gate::to_text(r);
  EXPECT_TRUE(has(text, "regression: tier 1 listing/get_public_certificates/optimized/page=1/scale=1000/size=20: "
                        "round_trips per call 1 -> 21 (allowed: exact)"))
      << text;
  EXPECT_TRUE(has(text, "gate: REGRESSION (exit 1)")) << text;
}

TEST(Gate, ToleranceAbsorbsHeapNoiseAndImprovementsPass) {
  const auto base = sample_run();
  auto current = base;
  series_of(current, "optimized").samples[Metric::peak_heap] = std::vector<double>(30, 18048 + 60000);  // < 64 KiB more
  series_of(current, "optimized").values[Metric::bytes_received] = 3000;  // fewer bytes: better
  auto r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::pass);
  EXPECT_EQ(find(r, "peak_heap")->outcome, Outcome::pass);
  EXPECT_EQ(find(r, "bytes_received")->outcome, Outcome::improved);
  EXPECT_TRUE(has(gate::to_text(r), "improved beyond their tolerance")) << gate::to_text(r);

  // The naive listing loading every row: 1.7 MB per call against 18 KB.
  series_of(current, "optimized").samples[Metric::peak_heap] = std::vector<double>(30, 1711504);
  r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::regression);
  EXPECT_EQ(find(r, "peak_heap")->detail, "peak_heap (median per call) 18.0 kB -> 1.71 MB (allowed: within max(25%, 65.5 kB))");
}

TEST(Gate, PeakHeapIsNotApplicableWithoutSamples) {
  auto base = sample_run();
  auto current = base;
  for (auto& s : current.series) s.samples.erase(Metric::peak_heap);  // a sanitizer build
  auto r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::pass);
  const auto* c = find(r, "peak_heap");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->outcome, Outcome::not_applicable);
  EXPECT_EQ(c->current.text, "n/a");
  EXPECT_TRUE(has(c->detail, "sanitizer")) << c->detail;
  // The other way round too: a sanitizer build's baseline.
  r = judge(current, base);
  EXPECT_EQ(find(r, "peak_heap")->outcome, Outcome::not_applicable);
  EXPECT_EQ(r.verdict, Verdict::pass);
}

TEST(Gate, ADroppedIndexFailsOnBuffersAndPlanShapeWithoutAClock) {
  const auto base = sample_run();
  auto current = base;
  current.environment.dataset_indexes = "none";
  current.environment.dataset_fingerprint = "scale=1000 seed=42 indexes=none version=1";
  current.plans.back() = plan("optimized", {"Limit", "Sort", "Append", "Seq Scan", "Seq Scan", "Seq Scan"}, 154);
  const auto r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::regression);
  const auto* buffers = find(r, "shared_buffers");
  ASSERT_NE(buffers, nullptr);
  EXPECT_EQ(buffers->outcome, Outcome::regression);
  EXPECT_EQ(buffers->detail, "shared_buffers per call 29 -> 154 (allowed: within max(25%, 8))");
  const auto* shape = find(r, "plan_shape");
  ASSERT_NE(shape, nullptr);
  EXPECT_EQ(shape->outcome, Outcome::regression);
  EXPECT_EQ(shape->detail, "plan_shape changed: Limit, Merge Append, 3x Index Scan -> Limit, Sort, Append, 3x Seq Scan");
  EXPECT_TRUE(has(gate::to_text(r), "index sets differ: best in the baseline, none in this run"));
}

TEST(Gate, PlanShapeComparesStatementsAsASetAndCountsExecutions) {
  auto base = sample_run();
  base.plans.push_back(plan("optimized", {"Index Scan"}, 3));
  auto current = base;
  std::swap(current.plans[5], current.plans[6]);  // another order: the same shape
  EXPECT_EQ(judge(base, current).verdict, Verdict::pass);
  current.plans[5].executions = 20;  // the per-row lookup of an N+1
  current.plans[5].shared_hit = 3;
  const auto r = judge(base, current);
  EXPECT_EQ(find(r, "plan_shape")->outcome, Outcome::regression);
  EXPECT_TRUE(has(find(r, "plan_shape")->detail, "-> 20x per call: Index Scan")) << find(r, "plan_shape")->detail;
  EXPECT_EQ(find(r, "shared_buffers")->outcome, Outcome::regression);  // 32 -> 89
}

TEST(Gate, ServerFiguresAreNotComparedAcrossPostgresVersionsOrPlannerSettings) {
  const auto base = sample_run();
  auto current = base;
  current.environment.postgres_version = "16.4";
  current.plans.back().shared_hit = 500;
  auto r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::pass);
  EXPECT_EQ(find(r, "shared_buffers")->outcome, Outcome::not_applicable);
  EXPECT_EQ(find(r, "plan_shape")->outcome, Outcome::not_applicable);
  EXPECT_TRUE(has(find(r, "shared_buffers")->detail, "PostgreSQL 15 in the baseline, 16 in this run"));
  EXPECT_EQ(find(r, "round_trips")->outcome, Outcome::pass) << "client counts depend on the dataset only";

  current.environment.postgres_version = base.environment.postgres_version;
  current.environment.postgres_settings["fsync"] = "on";  // no bearing on plans or buffers
  EXPECT_EQ(judge(base, current).verdict, Verdict::regression);
  current.environment.postgres_settings["work_mem"] = "64MB";
  r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::pass);
  EXPECT_TRUE(has(find(r, "plan_shape")->detail, "work_mem is 4MB in the baseline, 64MB in this run"));
}

TEST(Gate, APathThatDisappearedIsARegression) {
  const auto base = sample_run();
  auto current = base;
  std::erase_if(current.series, [](const results::Series& s) { return s.implementation == "optimized"; });
  std::erase_if(current.plans, [](const results::Plan& p) { return p.implementation == "optimized"; });
  current.deltas.clear();
  const auto r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::regression);
  const auto* c = find(r, "series");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->outcome, Outcome::regression);
  EXPECT_TRUE(has(c->detail, "missing from the current run")) << c->detail;
  EXPECT_EQ(find(r, "plans")->outcome, Outcome::regression);
  EXPECT_EQ(find(r, "speedup:latency")->outcome, Outcome::regression);

  // Allowed by the policy: not measured, and the rest passes.
  const auto policy = gate::parse_policy(
      R"({"policy_version": 1, "overrides": [{"match": {"implementation": "optimized"}, "allow_missing": true,
          "speedup_floor": {"latency": 2}}]})",
      "p.json");
  EXPECT_EQ(judge(base, current, policy).verdict, Verdict::pass);
}

TEST(Gate, AFamilyTheRunDidNotMeasureIsNotMeasuredNotARegression) {
  const auto base = sample_run();
  auto current = base;
  std::erase_if(current.series, [](const results::Series& s) { return s.family == "caching"; });  // run --only listing
  const auto r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::pass);
  const auto* c = find(r, "series", "in_process");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->outcome, Outcome::not_measured);
  EXPECT_EQ(c->detail, "the run did not measure caching at scale 1000");
}

TEST(Gate, AnIncompleteRunExits3UnlessWhatItMeasuredRegressed) {
  const auto base = sample_run();
  auto current = base;
  current.complete = false;
  current.failure = "caching: lost the connection to PostgreSQL";
  std::erase_if(current.series, [](const results::Series& s) { return s.family == "caching"; });
  auto r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::incomplete);
  EXPECT_EQ(gate::exit_code(r.verdict), ExitCode::environment);
  EXPECT_TRUE(has(find(r, "series", "in_process")->detail, "the run stopped before it (caching: lost"));
  series_of(current, "optimized").values[Metric::rows_received] = 1000;
  r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::regression) << "a regression in what was measured is a fact";
}

// ---- tier 2 -------------------------------------------------------------------------------------

TEST(Gate, SpeedupFloorsAreJudgedOnTheInterval) {
  const auto base = sample_run();
  auto current = base;
  const auto judged = [&](results::Interval f) {
    current.deltas.front().factor = f;
    return judge(base, current);
  };
  auto r = judged({3, 2.1, 4});
  EXPECT_EQ(r.verdict, Verdict::pass);
  EXPECT_EQ(find(r, "speedup:latency")->limit, ">= 2.00x (the interval's low end)");
  r = judged({1.5, 1.2, 1.9});  // the speed-up is lost
  EXPECT_EQ(r.verdict, Verdict::regression);
  EXPECT_EQ(find(r, "speedup:latency")->detail, "latency speed-up 1.50x (1.20x to 1.90x) is below the floor 2.00x");
  r = judged({2.5, 1.5, 4});  // too noisy to tell
  EXPECT_EQ(r.verdict, Verdict::inconclusive);
  EXPECT_EQ(gate::exit_code(r.verdict), ExitCode::inconclusive);
  EXPECT_TRUE(has(find(r, "speedup:latency")->detail, "straddles the floor 2.00x"));
  EXPECT_EQ(find(r, "speedup:latency")->baseline.text, "12.0x (10.0x to 15.0x)");

  // Regression wins over inconclusive.
  series_of(current, "optimized").values[Metric::round_trips] = 2;
  EXPECT_EQ(judge(base, current).verdict, Verdict::regression);

  // One sample is no interval.
  current = base;
  current.deltas.front().baseline_n = current.deltas.front().other_n = 1;
  EXPECT_EQ(judge(base, current).verdict, Verdict::inconclusive);
}

TEST(Gate, SpeedupsAreGatedAtTheRunsOwnScaleOnly) {
  auto base = sample_run();
  // A --full run's smaller dataset: speed-ups there are smaller by nature and not gated.
  auto small_naive = listing("naive", 5, 391, 380952, 857120);
  auto small_opt = listing("optimized", 1, 20, 3304, 11216);
  small_naive.parameters["scale"] = small_opt.parameters["scale"] = 500;
  base.series.push_back(small_naive);
  base.series.push_back(small_opt);
  base.deltas.push_back(speedup(small_opt.key(), small_naive.key(), {1.6, 1.4, 2.6}));
  const auto r = judge(base, base);
  EXPECT_EQ(r.verdict, Verdict::pass);
  std::size_t gated = 0;
  for (const auto& c : r.checks) gated += c.tier == 2 ? 1 : 0;
  EXPECT_EQ(gated, 1u);
}

TEST(Gate, HeadBaseRegressesOnlyWhenTestIntervalAndAbsoluteFloorAgree) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> noise(0, 0.05);
  const auto samples = [&](double median, std::size_t n) {
    std::vector<double> v;
    for (std::size_t i = 0; i < n; ++i) v.push_back(median * noise(rng));
    return v;
  };
  const auto base = samples(500e-6, 30);
  const auto same = samples(500e-6, 30);
  const auto twice = samples(1000e-6, 30);
  const auto faster = samples(250e-6, 30);
  const gate::Timing t;  // 1.10, 1 us, 0.05
  std::vector<gate::TimingInput> in{
      {"same", base, same, true, results::Better::lower, t},
      {"twice", base, twice, true, results::Better::lower, t},
      {"faster", base, faster, true, results::Better::lower, t},
  };
  auto j = gate::judge_timings(in);
  EXPECT_EQ(j[0].outcome, Outcome::pass) << j[0].detail;
  EXPECT_EQ(j[1].outcome, Outcome::regression) << j[1].detail;
  EXPECT_NEAR(j[1].slowdown.estimate, 2, 0.2);
  EXPECT_LT(j[1].p_adjusted, 0.05);
  EXPECT_GE(j[1].p_adjusted, j[1].test.p);
  EXPECT_EQ(j[2].outcome, Outcome::improved);

  // Twice as slow but by less than the absolute floor: not a failure.
  in[1].timing.absolute_floor = 1e-3;
  EXPECT_EQ(gate::judge_timings(in)[1].outcome, Outcome::pass);

  // Too noisy to tell: three samples a side, spread widely.
  const std::vector<double> noisy_base{400e-6, 900e-6, 500e-6}, noisy_head{450e-6, 1100e-6, 600e-6};
  std::vector<gate::TimingInput> noisy{{"noisy", noisy_base, noisy_head, false, results::Better::lower, t}};
  j = gate::judge_timings(noisy);
  EXPECT_EQ(j[0].outcome, Outcome::inconclusive) << j[0].detail;

  // Sixteen paired blocks (a --compare-binary run) get the sign test's interval, which catches a
  // 2x head; five pairs are too few for any 95% interval: a range, and no verdict even at 2x.
  const auto blocks = samples(500e-6, 16);
  std::vector<double> doubled;
  for (double b : blocks) doubled.push_back(2 * b * noise(rng));
  std::vector<gate::TimingInput> paired{{"blocks", blocks, doubled, true, results::Better::lower, t}};
  j = gate::judge_timings(paired);
  EXPECT_EQ(j[0].method, results::method::sign_test);
  EXPECT_EQ(j[0].outcome, Outcome::regression) << j[0].detail;
  paired[0].base = std::span(blocks).first(5);
  paired[0].head = std::span(doubled).first(5);
  j = gate::judge_timings(paired);
  EXPECT_EQ(j[0].method, results::method::range);
  EXPECT_EQ(j[0].outcome, Outcome::inconclusive) << j[0].detail;
  EXPECT_TRUE(j[0].detail.find("(range ") != std::string::npos) << j[0].detail;
  // Eight pairs whose ratios lie either side of the threshold: the sign test's interval straddles it.
  const std::vector<double> eight{1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3};
  const std::vector<double> mixed{0.95e-3, 1.3e-3, 1.02e-3, 1.25e-3, 0.98e-3, 1.2e-3, 1.05e-3, 1.15e-3};
  std::vector<gate::TimingInput> straddling{{"eight", eight, mixed, true, results::Better::lower, t}};
  j = gate::judge_timings(straddling);
  EXPECT_EQ(j[0].method, results::method::sign_test);
  EXPECT_LT(j[0].slowdown.low, t.threshold);
  EXPECT_GT(j[0].slowdown.high, t.threshold);
  EXPECT_EQ(j[0].outcome, Outcome::inconclusive) << j[0].detail;

  // Throughput: higher is better, so a head with half the throughput is the 2x slowdown.
  const auto tp_base = samples(1000, 30), tp_head = samples(500, 30);
  std::vector<gate::TimingInput> tp{{"tp", tp_base, tp_head, false, results::Better::higher, {1.1, 1, 0.05}}};
  j = gate::judge_timings(tp);
  EXPECT_EQ(j[0].outcome, Outcome::regression) << j[0].detail;
  EXPECT_NEAR(j[0].slowdown.estimate, 2, 0.2);
}

TEST(Gate, HeadBaseCorrectsForTestingManyPathsAtOnce) {
  // A difference whose p alone is 0.017 (scipy, ties included): one path rejects at 0.05, one of ten does not.
  const std::vector<double> base{1.00, 1.02, 1.04, 1.06, 1.08, 1.10, 1.12, 1.14, 1.16, 1.18};
  const std::vector<double> head{1.08, 1.10, 1.12, 1.14, 1.16, 1.18, 1.20, 1.22, 1.24, 1.26};
  const gate::Timing t{1.01, 0, 0.05};
  std::vector<gate::TimingInput> one{{"p0", base, head, false, results::Better::lower, t}};
  const auto alone = gate::judge_timings(one);
  EXPECT_NEAR(alone[0].test.p, 0.017006577801423665, 1e-12);
  EXPECT_DOUBLE_EQ(alone[0].p_adjusted, alone[0].test.p);
  std::vector<gate::TimingInput> many;
  for (int i = 0; i < 10; ++i) many.push_back({"p" + std::to_string(i), base, head, false, results::Better::lower, t});
  const auto corrected = gate::judge_timings(many);
  for (const auto& j : corrected) {
    EXPECT_DOUBLE_EQ(j.p_adjusted, std::min(1.0, 10 * alone[0].test.p));
    EXPECT_NE(j.outcome, Outcome::regression) << j.detail;
  }
}

TEST(Gate, HeadBaseOnSeriesUsesThePolicyAndPairsInterleavedRounds) {
  auto base = listing("optimized", 1, 20, 3350, 18048);
  auto head = base;
  for (std::size_t i = 0; i < 30; ++i) {
    base.samples[Metric::latency][i] = 500e-6 * (1 + 0.01 * static_cast<double>(i % 7));
    head.samples[Metric::latency][i] = 2 * base.samples[Metric::latency][i];
  }
  auto cached = base;
  cached.implementation = "cached";
  cached.samples.erase(Metric::latency);
  const std::vector<std::pair<const results::Series*, const results::Series*>> pairs{{&base, &head}, {&base, &cached}};
  const auto checks = gate::judge_head_base(pairs, gate::default_policy());
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].outcome, Outcome::regression) << checks[0].detail;
  EXPECT_EQ(checks[0].figure, "head_base:latency");
  EXPECT_EQ(checks[0].tier, 2);
  EXPECT_TRUE(checks[0].p_adjusted.has_value());
  EXPECT_DOUBLE_EQ(checks[0].current.interval->low, 2) << "paired rounds: every ratio is exactly 2";
  EXPECT_EQ(checks[1].outcome, Outcome::not_measured);
}

// ---- inputs the gate refuses ---------------------------------------------------------------------

TEST(Gate, AnotherDatasetOrAnIncompleteBaselineIsRefused) {
  const auto base = sample_run();
  auto current = base;
  current.environment.dataset_scale = 10000;
  current.environment.dataset_fingerprint = "scale=10000 seed=42 indexes=best version=1";
  try {
    judge(base, current);
    FAIL() << "accepted another dataset";
  } catch (const InputError& e) {
    EXPECT_TRUE(has(e.what(), "RUN.json measured another dataset than the baseline BASE.json")) << e.what();
  }
  auto incomplete = base;
  incomplete.complete = false;
  incomplete.failure = "file saves: disk full";
  try {
    judge(incomplete, base);
    FAIL() << "accepted an incomplete baseline";
  } catch (const InputError& e) {
    EXPECT_TRUE(has(e.what(), "BASE.json is an incomplete run (file saves: disk full)")) << e.what();
  }
  EXPECT_THROW(gate::make_baseline(incomplete, "RUN.json"), InputError);
  // Nothing in common: no verdict either way.
  auto other = base;
  for (auto& s : other.series) s.path += "_renamed";
  other.plans.clear();
  other.deltas.clear();
  EXPECT_THROW(judge(base, other, gate::parse_policy(R"({"policy_version": 1, "defaults": {"allow_missing": true}})", "p")),
               InputError);
}

TEST(Gate, PolicyErrorsNameTheFileAndTheKey) {
  EXPECT_EQ(policy_error("{\"policy_version\": 1, "), "p.json: is not JSON (truncated or corrupt)");
  EXPECT_EQ(policy_error("[1]"), "p.json: is not a certbench gate policy (not a JSON object)");
  EXPECT_EQ(policy_error("{}"), "p.json: is not a certbench gate policy (no policy_version)");
  EXPECT_EQ(policy_error(R"({"policy_version": 2})"), "p.json: policy_version: is 2; this certbench reads version 1");
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "default": {}})"),
            "p.json: default: unknown key (known: about, defaults, overrides, policy_version)");
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "defaults": {"tolerance": {"peak_heap": {"relative": "x"}}}})"),
            "p.json: defaults.tolerance.peak_heap.relative: must be a number >= 0 (got \"x\")");
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "defaults": {"tolerance": {"latency": {"relative": 1}}}})"),
            "p.json: defaults.tolerance.latency: timing is not a tier-1 figure (tier 2 judges it, as a speed-up floor "
            "or head/base)");
  EXPECT_TRUE(has(policy_error(R"({"policy_version": 1, "defaults": {"tolerance": {"files_written": {}}}})"),
                  "p.json: defaults.tolerance.files_written: not a tier-1 figure (known: round_trips"));
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "overrides": [{"match": {"famly": "listing"}}]})"),
            "p.json: overrides[0].match.famly: unknown key (known: family, implementation, mode, parameters, path)");
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "overrides": [{"speedup_floor": {"latency": 2}}]})"),
            "p.json: overrides[0]: needs a 'match' (use {} for every series)");
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "overrides": [{"match": {}, "speedup_floor": {"latency": 0}}]})"),
            "p.json: overrides[0].speedup_floor.latency: must be a number > 0 (times faster than naive), or null (got 0)");
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "overrides": [{"match": {}, "speedup_floor": {"round_trips": 2}}]})"),
            "p.json: overrides[0].speedup_floor.round_trips: a speed-up floor is for latency, throughput or "
            "event_loop_lag_p99");
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "defaults": {"timing": {"alpha": 1.5}}})"),
            "p.json: defaults.timing.alpha: must be a number in (0, 1) (got 1.5)");
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "defaults": {"timing": {"threshold": 0.9}}})"),
            "p.json: defaults.timing.threshold: must be a number >= 1 (head/base) (got 0.9)");
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "defaults": {"plan_shape": "yes"}})"),
            "p.json: defaults.plan_shape: must be true or false (got \"yes\")");
  EXPECT_EQ(policy_error(R"({"policy_version": 1, "overrides": {}})"), "p.json: overrides: must be an array (got {})");
}

TEST(Gate, OverridesApplyInOrderFieldByField) {
  const auto p = gate::parse_policy(R"({
    "policy_version": 1,
    "defaults": {"tolerance": {"round_trips": {"absolute": 1}}, "timing": {"alpha": 0.01}},
    "overrides": [
      {"match": {"family": "listing"}, "speedup_floor": {"latency": 2}, "tolerance": {"peak_heap": {"relative": 0.5}}},
      {"match": {"family": "listing", "implementation": "cached", "parameters": {"scale": 1000}},
       "speedup_floor": {"latency": null, "throughput": 1}, "tolerance": {"peak_heap": {"check": false}}}
    ]})",
                                    "p.json");
  const auto opt = p.settings_for(listing("optimized", 1, 20, 1, 1));
  EXPECT_EQ(opt.tolerance.at("round_trips"), (gate::Tolerance{0, 1, true}));
  EXPECT_EQ(opt.tolerance.at("peak_heap"), (gate::Tolerance{0.5, 65536, true}));
  EXPECT_EQ(opt.speedup_floor, (std::map<Metric, double>{{Metric::latency, 2}}));
  EXPECT_EQ(opt.timing.alpha, 0.01);
  EXPECT_EQ(opt.timing.threshold, 1.10);
  const auto cached = p.settings_for(listing("cached", 1, 20, 1, 1));
  EXPECT_FALSE(cached.tolerance.at("peak_heap").check);
  EXPECT_EQ(cached.tolerance.at("peak_heap").relative, 0.5);
  EXPECT_EQ(cached.speedup_floor, (std::map<Metric, double>{{Metric::throughput, 1}}));
}

TEST(Gate, TheBuiltInPolicyIsTheCommittedFile) {
  const auto& p = gate::default_policy();
  const auto from_file = gate::parse_policy(slurp(fs::path(CERTBENCH_SOURCE_DIR) / "reports/baselines/policy.json"), "f");
  EXPECT_EQ(p.defaults, from_file.defaults);
  EXPECT_EQ(p.overrides.size(), from_file.overrides.size());
  EXPECT_EQ(p.settings_for(listing("optimized", 1, 1, 1, 1)).speedup_floor.at(Metric::latency), 2);
  EXPECT_FALSE(p.settings_for(listing("naive", 1, 1, 1, 1)).plan_shape);
}

TEST(Gate, ABaselineKeepsWhatTheGateReadsAndDropsTimingSamples) {
  auto run = sample_run();
  run.series[1].samples[Metric::pool_wait] = {1e-6, 2e-6};
  run.series[1].samples[Metric::client_cpu] = {1e-4, 2e-4};
  const auto b = gate::make_baseline(run, "RUN.json");
  EXPECT_EQ(b.series[1].samples_of(Metric::latency), nullptr);
  ASSERT_NE(b.series[1].samples_of(Metric::peak_heap), nullptr);
  for (const auto& s : b.series)
    for (const auto& [metric, samples] : s.samples) EXPECT_EQ(metric, Metric::peak_heap) << s.key();
  EXPECT_EQ(b.series[1].values, run.series[1].values);
  EXPECT_EQ(b.plans, run.plans);
  EXPECT_EQ(b.deltas, run.deltas);
  EXPECT_EQ(judge(b, run).verdict, Verdict::pass);
  EXPECT_EQ(gate::make_baseline(run, "RUN.json", true), run);
}

TEST(Gate, TheVerdictFileAndTheMarkdownSummary) {
  const auto base = sample_run();
  auto current = base;
  series_of(current, "optimized").values[Metric::round_trips] = 21;
  current.deltas.front().factor = {2.5, 1.5, 4};
  const auto r = judge(base, current);
  const auto j = nlohmann::json::parse(gate::to_json(r));
  EXPECT_EQ(j["gate_version"], 1);
  EXPECT_EQ(j["verdict"], "regression");
  EXPECT_EQ(j["exit_code"], 1);
  EXPECT_EQ(j["baseline"]["file"], "BASE.json");
  EXPECT_EQ(j["current"]["complete"], true);
  EXPECT_EQ(j["counts"]["regression"], 1);
  EXPECT_EQ(j["counts"]["inconclusive"], 1);
  bool seen_trips = false, seen_speedup = false, seen_shape = false;
  for (const auto& c : j["checks"]) {
    if (c["figure"] == "round_trips" && c["implementation"] == "optimized") {
      seen_trips = true;
      EXPECT_EQ(c["verdict"], "regression");
      EXPECT_EQ(c["baseline"]["value"], 1);
      EXPECT_EQ(c["current"]["value"], 21);
      EXPECT_EQ(c["parameters"]["scale"], 1000);
    }
    if (c["figure"] == "speedup:latency") {
      seen_speedup = true;
      EXPECT_EQ(c["tier"], 2);
      EXPECT_EQ(c["current"]["interval"]["low"], 1.5);
    }
    if (c["figure"] == "plan_shape") {
      seen_shape = true;
      EXPECT_EQ(c["current"]["shape"][0], "Limit, Merge Append, 3x Index Scan");
    }
  }
  EXPECT_TRUE(seen_trips && seen_speedup && seen_shape);
  const auto md = gate::to_markdown(r);
  EXPECT_TRUE(has(md, "## certbench gate: REGRESSION")) << md;
  EXPECT_TRUE(has(md, "### Regressions")) << md;
  EXPECT_TRUE(has(md, "### Inconclusive")) << md;
  EXPECT_TRUE(has(md, "<details><summary>Every check (")) << md;
}

// ---- the binary ----------------------------------------------------------------------------------

namespace {

fs::path temp_dir() { return sys::make_unique_dir(sys::throwaway_parent(), "certbench-test-gate-"); }

void write_run(const fs::path& path, const results::Run& run) { sys::write_file_atomic(path, results::to_json(run)); }

results::Series& fixture_series(results::Run& run, const std::string& key) {
  for (auto& s : run.series)
    if (s.key() == key) return s;
  throw std::logic_error("no series " + key);
}

const std::string kPublicOptimized = "listing/get_public_certificates/optimized/page=1/scale=1000/size=20";

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
  fixture_series(run, kPublicOptimized).values[Metric::round_trips] = 21;
  write_run(dir / "run.json", run);
  auto r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", (dir / "run.json").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "regression: tier 1 " + kPublicOptimized + ": round_trips per call 1 -> 21 (allowed: exact)")) << r.out;
  EXPECT_TRUE(has(r.out, "gate: REGRESSION (exit 1)")) << r.out;
  fs::remove_all(dir);
}

// The server's statements (an N+1 the client would not see, e.g. in a function) and a cache that
// stopped hitting are tier-1 regressions too.
TEST(GateCli, ServerStatementsAndCacheHitsAreCountedInTier1) {
  const auto dir = temp_dir();
  auto run = results::load(kFixture);
  const std::string hit = "caching/get_template_by_id/in_process/hit/scale=1000";
  ASSERT_TRUE(fixture_series(run, kPublicOptimized).value(Metric::server_statements).has_value());
  fixture_series(run, kPublicOptimized).values[Metric::server_statements] = 6;
  fixture_series(run, hit).values[Metric::cache_hits] = 0.5;
  fixture_series(run, hit).values[Metric::cache_misses] = 0.5;
  write_run(dir / "run.json", run);
  auto r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", (dir / "run.json").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, kPublicOptimized + ": server_statements per call 1 -> 6 (allowed: exact)")) << r.out;
  EXPECT_TRUE(has(r.out, hit + ": cache_hits per call 1 -> 0.5 (allowed: exact)")) << r.out;
  EXPECT_TRUE(has(r.out, hit + ": cache_misses per call 0 -> 0.5 (allowed: exact)")) << r.out;
  // More hits than before is no regression.
  fixture_series(run, hit).values[Metric::cache_hits] = 1;
  fixture_series(run, hit).values[Metric::cache_misses] = 0;
  fixture_series(run, kPublicOptimized).values[Metric::server_statements] = 1;
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
    if (x.other_key == kPublicOptimized && x.metric == Metric::latency) d = &x;
  ASSERT_NE(d, nullptr);
  d->factor = {2.2, 1.4, 3.5};
  write_run(dir / "noisy.json", run);
  auto r = run_certbench({"gate", "--baseline", kFixture.string(), "--current", (dir / "noisy.json").string()});
  EXPECT_EQ(r.exit_code, 4) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "inconclusive: tier 2 " + kPublicOptimized + ": latency speed-up 2.20x (1.40x to 3.50x) straddles"))
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
  fixture_series(run, kPublicOptimized).values[Metric::round_trips] = 21;
  for (auto& p : run.plans)
    if (p.family == "listing" && p.implementation == "optimized" && p.path == "get_user_certificates")
      p.nodes = {"Limit", "Sort", "Seq Scan"};
  for (auto& d : run.deltas)
    if (d.other_key == kPublicOptimized && d.metric == Metric::latency) d.factor = {2.2, 1.4, 3.5};
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
  EXPECT_EQ(b.find(kPublicOptimized)->samples_of(Metric::latency), nullptr);
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
  const std::string optimized = "listing/get_public_certificates/optimized/page=1/scale=10000/size=20";
  EXPECT_TRUE(has(r.out, "regression: tier 1 " + optimized + ": server_buffers per call")) << r.out;
  EXPECT_TRUE(has(r.out, "regression: tier 1 " + optimized + ": plan_shape changed")) << r.out;
  // Counts that do not depend on the indexes stay put: the N+1 detector does not cry wolf.
  EXPECT_FALSE(has(r.out, optimized + ": round_trips")) << r.out;
  EXPECT_FALSE(has(r.out, optimized + ": server_statements")) << r.out;
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

TEST_F(GateInProcess, AnNPlusOneBroughtBackIntoTheOptimizedPathFailsTier1) {
  const auto baseline = measure();
  const results::Run current = measure(harness::replacing("optimized", [](harness::ListingSession& s) {
    return std::make_unique<certbench::testing::NPlusOneListings>(*s.db);
  }));
  const auto report = gate::judge(baseline, "baseline", current, "current", gate::default_policy());
  EXPECT_EQ(report.verdict, Verdict::regression);
  const std::string key = "listing/get_public_certificates/optimized/page=1/scale=5000/size=20";
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

// Two builds of the optimized paths measured interleaved in one run (base, head, base, …): a head
// three times as slow is caught on timing alone; the same build against itself is not. On a
// loaded machine (ctest -j2) a path may come out inconclusive — the gate's answer to noise — but
// never passes, and the same code never regresses. (scripts/gate-noise measures the rates.)
TEST_F(GateInProcess, ASlowerOptimizedPathFailsTier2InAnInterleavedABAndTheSameCodeDoesNot) {
  const auto slower = certbench::testing::head_base_trial(
      dataset(), [](harness::ListingSession& s) { return std::make_unique<certbench::testing::SlowedListings>(*s.db, 3.0); },
      std::chrono::milliseconds(400));
  ASSERT_EQ(slower.size(), 4u);  // the four listings' optimized
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
