// The results model without a database: metric names, results.json both ways, the statistics
// (the interval's coverage in seeded simulations), and claims judged on synthetic series.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "certbench/core/errors.hpp"
#include "certbench/results/advice.hpp"
#include "certbench/results/analysis.hpp"
#include "certbench/results/format.hpp"
#include "certbench/results/json.hpp"
#include "certbench/results/statistics.hpp"
#include <nlohmann/json.hpp>

using namespace certbench;
using namespace certbench::results;

namespace {

Series series(std::string family, std::string path, std::string impl, std::vector<double> latency,
              std::map<std::string, double> params = {{"scale", 1000}}) {
  Series s;
  s.family = std::move(family);
  s.path = std::move(path);
  s.implementation = std::move(impl);
  s.parameters = std::move(params);
  s.samples[Metric::latency] = std::move(latency);
  return s;
}

std::vector<double> around(double median, std::size_t n, double spread = 0.01) {
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i)
    v.push_back(median * (1 + spread * (static_cast<double>(i) - static_cast<double>(n / 2)) / static_cast<double>(n)));
  return v;
}

results::Run sample_run() {
  results::Run run;
  auto& e = run.environment;
  e.certbench_version = "0.1.0";
  e.git_commit = "abc";
  e.postgres_version = "15.18";
  e.postgres_settings = {{"work_mem", "4MB"}};
  e.redis_version = "7.0.15";
  e.cpu_model = "cpu";
  e.cores = 2;
  e.kernel = "Linux 6";
  e.host = "h";
  e.dataset_scale = 1000;
  e.dataset_seed = 42;
  e.dataset_indexes = "best";
  e.dataset_fingerprint = "scale=1000";
  e.started_utc = "2026-11-30T09:00:00Z";
  e.ended_utc = "2026-11-30T09:01:00Z";
  e.options = {"certbench", "run", "--quick"};
  run.complete = true;
  auto naive = series("listing", "get_public_certificates", "naive", {0.0301, 0.0299, 0.0310});
  naive.samples[Metric::peak_heap] = {1e7, 1.1e7, 1e7};
  naive.values[Metric::round_trips] = 5;
  auto limited = series("listing", "get_public_certificates", "limited", {0.001, 0.0011, 0.00095});
  limited.samples[Metric::peak_heap] = {1e4, 1.1e4, 1e4};
  limited.values[Metric::round_trips] = 1;
  // An open loop's histogram: two requests of three answered, one at 0.4 ms, one at 3 ms.
  limited.latency_buckets = results::Buckets{{0.001, 0.01}, {1, 2}, 3, 0.0034};
  run.series = {naive, limited};
  analyse(run);
  return run;
}

}  // namespace

TEST(Results, EveryMetricHasANameThatParsesBack) {
  for (const auto& m : metrics()) {
    EXPECT_EQ(parse_metric(m.name), m.metric) << m.name;
    EXPECT_EQ(&info(m.metric), &m) << m.name;
    EXPECT_FALSE(m.unit.empty()) << m.name;
  }
  EXPECT_EQ(parse_metric("speed"), std::nullopt);
}

TEST(Results, PercentileIsTheValueAtRankFloorQN) {
  const std::vector<double> v{5, 1, 4, 2, 3, 6};
  EXPECT_EQ(percentile(v, 0.5), 4);  // rank 3 of 1..6: not the mean of the two middle values
  EXPECT_EQ(percentile(v, 0), 1);
  EXPECT_EQ(percentile(v, 1), 6);
  EXPECT_EQ(percentile({}, 0.5), 0);
  const auto s = summarize(v);
  EXPECT_EQ(s.n, 6u);
  EXPECT_EQ(s.median, 4);
  EXPECT_DOUBLE_EQ(s.mean, 3.5);
}

TEST(Results, JsonRoundTripIsIdentical) {
  const results::Run run = sample_run();
  ASSERT_FALSE(run.deltas.empty());
  ASSERT_FALSE(run.verdicts.empty());
  const auto text = to_json(run);
  const results::Run back = from_json(text);
  EXPECT_EQ(back, run);
  EXPECT_EQ(to_json(back), text);
}

TEST(Results, AModifiedWorkTreeIsRecordedAndReadBack) {
  results::Run run = sample_run();
  run.environment.git_dirty = true;
  const auto text = to_json(run);
  EXPECT_NE(text.find("\"git_dirty\": true"), std::string::npos) << text.substr(0, 400);
  EXPECT_TRUE(from_json(text).environment.git_dirty);
  // A file from before git_dirty marked the commit itself.
  auto old = nlohmann::json::parse(text);
  old["environment"].erase("git_dirty");
  old["environment"]["git_commit"] = "abc-dirty";
  const auto back = from_json(old.dump());
  EXPECT_EQ(back.environment.git_commit, "abc");
  EXPECT_TRUE(back.environment.git_dirty);
  old["environment"]["git_commit"] = "abc";
  EXPECT_FALSE(from_json(old.dump()).environment.git_dirty);
}

TEST(Results, BadFilesAreRefusedWithOneLineNamingThem) {
  const auto text = to_json(sample_run());
  auto message = [](const std::string& t) {
    try {
      from_json(t, "base.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(text.substr(0, text.size() / 2)).find("base.json is not JSON"), std::string::npos);
  EXPECT_NE(message("{}").find("no schema_version"), std::string::npos);
  std::string older = text;
  older.replace(older.find("\"schema_version\": 2"), 19, "\"schema_version\": 1");
  EXPECT_NE(message(older).find("schema_version 1"), std::string::npos) << message(older);
  std::string broken = text;
  broken.replace(broken.find("\"complete\""), 10, "\"finished\"");
  EXPECT_NE(message(broken).find("not a valid results file"), std::string::npos) << message(broken);
  for (const auto& m : {message("{"), message(older), message(broken)}) EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(Results, DeltasComparePairedRoundsAndExactCounts) {
  const results::Run run = sample_run();
  const Delta* latency = nullptr;
  const Delta* trips = nullptr;
  for (const auto& d : run.deltas) {
    if (d.metric == Metric::latency) latency = &d;
    if (d.metric == Metric::round_trips) trips = &d;
  }
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->method, method::range) << "three rounds hold no 95% interval";
  EXPECT_NEAR(latency->factor.estimate, 0.0301 / 0.001, 1e-9);
  EXPECT_LE(latency->factor.low, latency->factor.estimate);
  EXPECT_GE(latency->factor.high, latency->factor.estimate);
  ASSERT_NE(trips, nullptr);
  EXPECT_EQ(trips->method, method::exact);
  EXPECT_DOUBLE_EQ(trips->factor.estimate, 5);
}

// The interval covers a known ratio of medians in about 95% of seeded simulations, for samples
// taken apart and for paired rounds with shared drift.
TEST(Results, IntervalCoversAKnownRatioAbout95PercentOfTheTime) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> noise(0.0, 0.3);
  const double true_ratio = 4.0;
  for (const bool paired : {false, true}) {
    int covered = 0;
    const int simulations = 400;
    for (int sim = 0; sim < simulations; ++sim) {
      std::vector<double> a, b;
      for (int i = 0; i < 31; ++i) {
        const double drift = paired ? std::exp(0.5 * std::sin(i)) : 1.0;  // both sides of round i alike
        a.push_back(true_ratio * drift * noise(rng));
        b.push_back(drift * noise(rng));
      }
      // Medians of lognormal(0, s) samples are 1: the true ratio of medians is true_ratio.
      const auto i = ratio_of_medians(a, b, paired, seed_of(std::to_string(sim)));
      if (i.low <= true_ratio && true_ratio <= i.high) ++covered;
    }
    const double coverage = static_cast<double>(covered) / simulations;
    EXPECT_GE(coverage, 0.90) << (paired ? "paired" : "independent");
    EXPECT_LE(coverage, 0.99) << (paired ? "paired" : "independent");
  }
}

// Below the bootstrap's sample count, order statistics with their exact confidence: the sign
// test's for paired rounds, Mann–Whitney's for independent samples, and the bare range (labelled,
// judged on nothing) where even that is short of 95%.
TEST(Results, FewSamplesGetIntervalsThatHoldAtTheirSize) {
  const std::vector<double> three_a{30, 27, 33}, three_b{1, 1, 1};
  auto r = rank_ratio_interval(three_a, three_b, true);
  EXPECT_DOUBLE_EQ(r.coverage, 0.75);  // the range of 3 misses the median with 2 x 1/8
  EXPECT_EQ(r.interval.estimate, 30);
  EXPECT_EQ(r.interval.low, 27);
  EXPECT_EQ(r.interval.high, 33);
  std::vector<double> nine;
  for (int i = 1; i <= 9; ++i) nine.push_back(i);
  r = rank_ratio_interval(nine, std::vector<double>(9, 1.0), true);
  EXPECT_NEAR(r.coverage, 1 - 2 * 10.0 / 512, 1e-12);  // P(Bin(9, 1/2) <= 1) = 10/512
  EXPECT_EQ(r.interval.low, 2);
  EXPECT_EQ(r.interval.high, 8);
  r = rank_ratio_interval(three_a, three_b, false);
  EXPECT_NEAR(r.coverage, 1 - 2.0 / 20, 1e-12);  // U = 0 or 9: 2 of C(6, 3) = 20 orders
  EXPECT_EQ(r.interval.low, 27);
  const std::vector<double> four_a{40, 44, 48, 52}, four_b{1, 2, 4, 8};
  r = rank_ratio_interval(four_a, four_b, false);
  EXPECT_NEAR(r.coverage, 1 - 2.0 / 70, 1e-12);
  EXPECT_EQ(r.interval.low, 40.0 / 8);
  EXPECT_EQ(r.interval.high, 52.0 / 1);
  EXPECT_THROW(rank_ratio_interval(three_a, four_b, true), std::invalid_argument);
  // Sides of very different sizes (a slow naive point beside a fast one): P(U <= 5562) for 9
  // against 1982 is 33262283912499750385219 / C(1991, 9), from the exact count of arrangements.
  std::vector<double> many;
  for (int i = 0; i < 1982; ++i) many.push_back(1.0 + i / 1982.0);
  for (const bool swapped : {false, true}) {
    r = swapped ? rank_ratio_interval(many, nine, false) : rank_ratio_interval(nine, many, false);
    EXPECT_NEAR(r.coverage, 1 - 2 * (33262283912499750385219.0 / 1330498750823264628474440.0), 1e-12);
    std::vector<double> ratios;
    for (double a : swapped ? many : nine)
      for (double b : swapped ? nine : many) ratios.push_back(a / b);
    std::sort(ratios.begin(), ratios.end());
    EXPECT_EQ(r.interval.low, ratios[5563 - 1]);  // the 5563rd smallest and largest of 17838
    EXPECT_EQ(r.interval.high, ratios[ratios.size() - 5563]);
  }

  // Their coverage of a known ratio, small samples with noise.
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> noise(0.0, 0.3);
  for (const bool paired : {false, true}) {
    int covered = 0;
    const int simulations = 400;
    for (int sim = 0; sim < simulations; ++sim) {
      std::vector<double> a, b;
      for (int i = 0; i < 8; ++i) {
        a.push_back(4.0 * noise(rng));
        b.push_back(noise(rng));
      }
      const auto i = rank_ratio_interval(a, b, paired);
      if (i.interval.low <= 4.0 && 4.0 <= i.interval.high) ++covered;
    }
    EXPECT_GE(static_cast<double>(covered) / simulations, 0.93) << (paired ? "paired" : "independent");
  }

  // A claim on three rounds a side is not judged; on nine it is.
  const auto entries = parse_claims(R"({"entries": [
    {"id": "g", "kind": "goal", "text": ">= 3x", "family": "listing", "paths": ["p"],
     "metric": "latency", "baseline": "naive", "subject": "limited", "express": "factor", "at_least": 3}]})");
  for (const std::size_t n : {3u, 9u}) {
    results::Run run;
    run.series = {series("listing", "p", "naive", around(1e-2, n)), series("listing", "p", "limited", around(1e-3, n))};
    run.deltas = compute_deltas(run);
    const auto v = judge(run, entries);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].outcome, n == 3 ? Outcome::inconclusive : Outcome::met) << n;
    EXPECT_EQ(run.deltas.front().method, n == 3 ? method::range : method::sign_test) << n;
  }
}

TEST(Results, SameSamplesGiveTheSameInterval) {
  const auto a = around(10, 15, 0.4), b = around(2, 15, 0.4);
  EXPECT_EQ(ratio_of_medians(a, b, false, 1), ratio_of_medians(a, b, false, 1));
  EXPECT_NE(ratio_of_medians(a, b, false, 1), ratio_of_medians(a, b, false, 2));
}

// Claims judged on synthetic series: below, within, beyond, and inconclusive when the interval
// straddles a bound; goals met, not met, inconclusive.
TEST(Results, ClaimVerdictsFollowTheInterval) {
  const auto entries = parse_claims(R"({"entries": [
    {"id": "c", "kind": "claim", "text": "60-80% reduction", "family": "listing", "paths": ["p"],
     "metric": "latency", "baseline": "naive", "subject": "limited", "express": "reduction", "range": [60, 80]},
    {"id": "g", "kind": "goal", "text": ">= 3x", "family": "listing", "paths": ["p"],
     "metric": "latency", "baseline": "naive", "subject": "limited", "express": "factor", "at_least": 3},
    {"id": "v", "kind": "goal", "text": "<= 1 ms", "family": "listing", "paths": ["p"],
     "metric": "latency", "subject": "limited", "express": "value", "at_most": 0.001}
  ]})");
  auto judged = [&](double naive_median, double limited_median, double spread) {
    results::Run run;
    run.series = {series("listing", "p", "naive", around(naive_median, 31, spread)),
                  series("listing", "p", "limited", around(limited_median, 31, spread))};
    run.deltas = compute_deltas(run);
    return judge(run, entries);
  };
  // 1 -> 0.5: 50% reduction, 2x; 0.5 ms.
  auto v = judged(1e-3, 0.5e-3, 0.01);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].outcome, Outcome::below);
  EXPECT_EQ(v[1].outcome, Outcome::not_met);
  EXPECT_EQ(v[2].outcome, Outcome::met);
  ASSERT_TRUE(v[0].measured);
  EXPECT_NEAR(v[0].measured->estimate, 50, 1);
  EXPECT_EQ(v[0].expected, "60-80% reduction");
  // 1 -> 0.3: 70%, 3.3x.
  v = judged(1e-3, 0.3e-3, 0.01);
  EXPECT_EQ(v[0].outcome, Outcome::within);
  EXPECT_EQ(v[1].outcome, Outcome::met);
  // 1 -> 0.1: 90%, beyond.
  EXPECT_EQ(judged(1e-3, 0.1e-3, 0.01)[0].outcome, Outcome::beyond);
  // 1 -> 0.4 (60%, right on the bound) with wide samples: the interval straddles 60%.
  v = judged(1e-3, 0.4e-3, 1.0);
  EXPECT_EQ(v[0].outcome, Outcome::inconclusive);
  // 2 ms is over the 1 ms goal.
  EXPECT_EQ(judged(4e-3, 2e-3, 0.01)[2].outcome, Outcome::not_met);
  // Nothing to judge on.
  results::Run empty;
  for (const auto& x : judge(empty, entries)) EXPECT_EQ(x.outcome, Outcome::not_measured);
  // A resample with a baseline median of 0 has no finite reduction: said so, not printed as a number.
  v = judged(1e-3, 0.5e-3, 0.01);
  v[0].measured = Interval{50, std::numeric_limits<double>::lowest(), 70};
  EXPECT_EQ(verdict_figure(v[0]), "50.0% (unbounded below to 70.0%)");
}

TEST(Results, TheCompiledClaimsTableHoldsTheReviewsFourClaims) {
  const auto& table = claims_table();
  std::set<std::string> claims;
  for (const auto& e : table)
    if (e.kind == "claim") claims.insert(e.id);
  EXPECT_EQ(claims, (std::set<std::string>{"query_time", "memory", "concurrency", "response_time"}));
  // The concurrency claim in process and over HTTP (uploads beside listings).
  std::set<std::string> concurrency;
  for (const auto& e : table)
    if (e.id == "concurrency") concurrency.insert(e.family);
  EXPECT_EQ(concurrency, (std::set<std::string>{"file_save", "http"}));
  // Each is judged on the review's fix taken literally, never on a better variant.
  for (const auto& e : table) {
    if (e.kind == "claim") {
      EXPECT_EQ(e.subject, e.id == "concurrency" ? "aiofiles" : "review") << e.id;
    }
  }
}

// One claim may be judged in several families (concurrency: in process and over HTTP); its
// verdicts stay apart by subject even when nothing was measured (Prometheus needs unique labels).
TEST(Results, VerdictsAreNamedApartEvenWhenNotMeasured) {
  auto run = sample_run();
  auto http = run.series.front();
  http.family = "http";
  http.path = "save_base64_image";
  http.implementation = "none";
  http.mode = "mixed";
  run.series.push_back(http);  // the families present, none of the claims' subjects measured
  auto save = http;
  save.family = "file_save";
  save.mode = "";
  run.series.push_back(save);
  analyse(run);
  std::set<std::string> seen;
  std::size_t concurrency = 0;
  for (const auto& v : run.verdicts) {
    EXPECT_TRUE(seen.insert(v.id + "|" + v.kind + "|" + v.subject).second) << v.id << " " << v.subject;
    if (v.id == "concurrency" && v.subject.rfind("save_base64_image", 0) == 0) ++concurrency;
  }
  EXPECT_EQ(concurrency, 2u) << "in process and over HTTP";
}

TEST(Results, BadClaimsTablesNameTheEntry) {
  EXPECT_THROW(parse_claims("["), InputError);
  try {
    parse_claims(R"({"entries": [{"id": "x", "kind": "claim", "text": "t", "family": "f", "paths": [],
                    "metric": "speed", "subject": "o", "express": "factor", "at_least": 1}]})");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("entry 'x': unknown metric 'speed'"), std::string::npos) << e.what();
  }
}

// A goal whose baseline is the same implementation at other parameters (keyset page 1000 against
// page 1), and a value goal on a per-call figure without samples (peak heap from a counter).
TEST(Results, GoalsAgainstOtherParametersAndExactValues) {
  const auto entries = parse_claims(R"({"entries": [
    {"id": "depth", "kind": "goal", "text": "page 1000 <= 1.5x page 1", "family": "benchmark",
     "paths": ["p"], "metric": "latency", "baseline": "limited", "baseline_where": {"page": 1},
     "subject": "limited", "where": {"page": 1000}, "express": "factor", "at_least": 0.6667},
    {"id": "heap", "kind": "goal", "text": "<= 256 KiB", "family": "benchmark", "paths": ["p"],
     "metric": "peak_heap", "subject": "limited", "where": {"page": 1}, "express": "value", "at_most": 262144}
  ]})");
  auto run_with = [&entries](double page_1000_seconds, double heap) {
    results::Run run;
    auto first = series("benchmark", "p", "limited", around(1e-3, 9), {{"page", 1}});
    first.values[Metric::peak_heap] = heap;
    run.series = {first, series("benchmark", "p", "limited", around(page_1000_seconds, 9), {{"page", 1000}})};
    return judge(run, entries);
  };
  auto v = run_with(1.2e-3, 20'000);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].outcome, Outcome::met) << v[0].measured->estimate;
  EXPECT_EQ(v[0].unit, "factor");
  EXPECT_EQ(v[1].outcome, Outcome::met);
  EXPECT_EQ(v[1].unit, "bytes");
  EXPECT_EQ(v[1].measured, (Interval{20'000, 20'000, 20'000}));
  v = run_with(3e-3, 300'000);
  EXPECT_EQ(v[0].outcome, Outcome::not_met);
  EXPECT_EQ(v[1].outcome, Outcome::not_met);
}

// The N+1 advice: a per-kind fix only when faster with confidence and slower on nothing.
namespace {
results::Run advice_run(double pipelined_latency, double pipelined_throughput, std::size_t repetitions = 9) {
  results::Run run = sample_run();
  run.series.clear();
  const std::map<std::string, double> page{{"scale", 1000}, {"page", 1}, {"size", 20}};
  auto add = [&](const char* impl, double latency, double throughput, double statements, double trips, double rows) {
    auto s = series("listing", "get_public_certificates", impl, around(latency, 30, 0.05), page);
    s.values[Metric::statements] = statements;
    s.values[Metric::round_trips] = trips;
    s.values[Metric::rows_received] = rows;
    run.series.push_back(s);
    auto loop_params = page;
    loop_params["concurrency"] = 8;
    auto l = series("listing_loop", "get_public_certificates", impl, around(latency * 2, 30, 0.05), loop_params);
    l.samples[Metric::throughput] = around(throughput, repetitions, 0.05);
    l.values[Metric::throughput] = throughput;
    run.series.push_back(l);
  };
  add("naive", 0.03, 100, 5, 5, 7000);
  add("limited", 0.001, 4000, 1, 1, 20);
  add("pipelined", pipelined_latency, pipelined_throughput, 5, 1, 100);
  analyse(run);
  return run;
}
}  // namespace

TEST(Advice, APerKindFixFasterWithConfidenceAndSlowerNowhereIsAdvised) {
  const auto advice = advise_listing_fix(advice_run(0.0005, 5000));
  ASSERT_EQ(advice.size(), 1u);
  EXPECT_EQ(advice[0].path, "get_public_certificates");
  EXPECT_EQ(advice[0].chosen, "pipelined");
  EXPECT_EQ(advice[0].concurrency, 8);
  ASSERT_EQ(advice[0].options.size(), 2u);
  EXPECT_EQ(advice[0].options[0].implementation, "limited");
  const auto& p = advice[0].options[1];
  ASSERT_TRUE(p.latency_factor && p.throughput_factor);
  EXPECT_GT(p.latency_factor->low, 1);
  EXPECT_NEAR(p.latency_factor->estimate, 2, 0.1);
  EXPECT_NEAR(p.throughput_factor->estimate, 1.25, 0.05);
  EXPECT_EQ(p.statements, 5);
  EXPECT_EQ(p.round_trips, 1);
  EXPECT_NE(advice[0].reason.find("5 statement(s) in 1 round trip(s)"), std::string::npos) << advice[0].reason;
}

TEST(Advice, FasterPerCallButSlowerUnderLoadKeepsTheOneStatement) {
  const auto advice = advise_listing_fix(advice_run(0.0005, 2000));
  ASSERT_EQ(advice.size(), 1u);
  EXPECT_EQ(advice[0].chosen, "limited");
  EXPECT_LT(advice[0].options[1].throughput_factor->high, 1);
  EXPECT_NE(advice[0].reason.find("they receive 100 rows for a page of 20 where it receives 20"), std::string::npos)
      << advice[0].reason;
}

TEST(Advice, NoDifferenceKeepsTheOneStatementAndNoPerKindFixGivesNoAdvice) {
  EXPECT_EQ(advise_listing_fix(advice_run(0.001, 4000)).at(0).chosen, "limited");
  auto run = advice_run(0.0005, 5000);
  std::erase_if(run.series, [](const Series& s) { return s.implementation == "pipelined"; });
  EXPECT_TRUE(advise_listing_fix(run).empty());
}

TEST(Advice, ThreeRepetitionsOfTheLoopAreShownButDoNotDecide) {
  // Equal per call, far better under load, but on 3 repetitions a side: not decisive.
  const auto advice = advise_listing_fix(advice_run(0.001, 8000, 3));
  ASSERT_EQ(advice.size(), 1u);
  EXPECT_FALSE(advice[0].options[1].throughput_decisive);
  EXPECT_TRUE(advice[0].options[1].latency_decisive);
  EXPECT_EQ(advice[0].chosen, "limited");
  EXPECT_NE(advice[0].reason.find("too few repetitions to decide"), std::string::npos) << advice[0].reason;
  // The same with 9 a side decides for the pipeline.
  EXPECT_EQ(advise_listing_fix(advice_run(0.001, 8000, 9)).at(0).chosen, "pipelined");
}
