// The regression gate (certbench::gate) without a database: synthetic runs for every verdict and
// exit code, the Mann-Whitney and Holm figures against scipy's, the policy file's errors, baselines
// and the verdict file. The binary, end to end and in-process regressions: tests/test_gate_cli.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/gate/gate.hpp"
#include "certbench/results/json.hpp"
#include "certbench/results/statistics.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using namespace certbench;
using gate::Outcome;
using gate::Verdict;
using results::Metric;
using certbench::testing::has;
using certbench::testing::slurp;

namespace {

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

// A small complete run: one listing, naive and limited, with plans and the limited speed-up
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
  run.series.push_back(listing("limited", 1, 20, 3350, 18048));
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
  run.plans.push_back(plan("limited", {"Limit", "Merge Append", "Index Scan", "Index Scan", "Index Scan"}, 29));
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

const gate::Check* find(const gate::Report& r, const std::string& figure, const std::string& impl = "limited") {
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
  series_of(current, "limited").values[Metric::round_trips] = 21;  // an N+1 came back
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
  EXPECT_TRUE(has(text, "regression: tier 1 listing/get_public_certificates/limited/page=1/scale=1000/size=20: "
                        "round_trips per call 1 -> 21 (allowed: exact)"))
      << text;
  EXPECT_TRUE(has(text, "gate: REGRESSION (exit 1)")) << text;
}

TEST(Gate, ToleranceAbsorbsHeapNoiseAndImprovementsPass) {
  const auto base = sample_run();
  auto current = base;
  series_of(current, "limited").samples[Metric::peak_heap] = std::vector<double>(30, 18048 + 60000);  // < 64 KiB more
  series_of(current, "limited").values[Metric::bytes_received] = 3000;  // fewer bytes: better
  auto r = judge(base, current);
  EXPECT_EQ(r.verdict, Verdict::pass);
  EXPECT_EQ(find(r, "peak_heap")->outcome, Outcome::pass);
  EXPECT_EQ(find(r, "bytes_received")->outcome, Outcome::improved);
  EXPECT_TRUE(has(gate::to_text(r), "improved beyond their tolerance")) << gate::to_text(r);

  // The naive listing loading every row: 1.7 MB per call against 18 KB.
  series_of(current, "limited").samples[Metric::peak_heap] = std::vector<double>(30, 1711504);
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
  current.plans.back() = plan("limited", {"Limit", "Sort", "Append", "Seq Scan", "Seq Scan", "Seq Scan"}, 154);
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
  base.plans.push_back(plan("limited", {"Index Scan"}, 3));
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
  std::erase_if(current.series, [](const results::Series& s) { return s.implementation == "limited"; });
  std::erase_if(current.plans, [](const results::Plan& p) { return p.implementation == "limited"; });
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
      R"({"policy_version": 1, "overrides": [{"match": {"implementation": "limited"}, "allow_missing": true,
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
  series_of(current, "limited").values[Metric::rows_received] = 1000;
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
  series_of(current, "limited").values[Metric::round_trips] = 2;
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
  auto small_opt = listing("limited", 1, 20, 3304, 11216);
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
  auto base = listing("limited", 1, 20, 3350, 18048);
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
  const auto opt = p.settings_for(listing("limited", 1, 20, 1, 1));
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
  EXPECT_EQ(p.settings_for(listing("limited", 1, 1, 1, 1)).speedup_floor.at(Metric::latency), 2);
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
  series_of(current, "limited").values[Metric::round_trips] = 21;
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
    if (c["figure"] == "round_trips" && c["implementation"] == "limited") {
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
