// The run's estimate of time left (harness::RunPlan::planned_seconds, loadgen's
// HttpRunSpec::estimated_seconds): the budgets alone before anything is measured, and the windows'
// ends once the listings' call times are known — a window ends only when its calls have.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string_view>

#include "certbench/harness/implementations.hpp"
#include "certbench/harness/scenarios.hpp"
#include "certbench/loadgen/http_run.hpp"

using namespace certbench;
using Stage = harness::RunPlan::Stage;

namespace {

double at(const std::array<double, harness::RunPlan::kStages>& planned, Stage s) {
  return planned[static_cast<std::size_t>(s)];
}

// Naive calls of one second, everything else unknown.
double naive_second(Listing, std::string_view impl) { return impl == "naive" ? 1.0 : 0.0; }

}  // namespace

TEST(RunPlan, TheLoopPlansEachWindowUntilItsQueuedCallsHaveEnded) {
  harness::RunPlan plan;
  plan.listing = plan.caching = plan.derived = plan.saves = false;
  plan.loop_spec.concurrency = {8};
  plan.loop_spec.sessions = 4;
  plan.loop_spec.repetitions = 3;
  const auto budgets = plan.planned_seconds();
  const auto known = plan.planned_seconds(naive_second);
  // Each listing's naive: its 4 sessions warmed with a call each, and 3 windows each ending after
  // the 8 calls queued on 4 sessions: two calls' time.
  double naive_listings = 0;
  for (Listing l : kListings)
    for (auto impl : harness::listing_implementations(l)) naive_listings += impl == "naive" ? 1 : 0;
  ASSERT_GT(naive_listings, 0);
  EXPECT_DOUBLE_EQ(at(known, Stage::loop) - at(budgets, Stage::loop), naive_listings * (4 * 1.0 + 3 * 2 * 1.0));
  for (Stage s : {Stage::listing, Stage::saves, Stage::http, Stage::plans}) EXPECT_EQ(at(known, s), 0.0);
  EXPECT_DOUBLE_EQ(plan.estimated_seconds(), std::accumulate(budgets.begin(), budgets.end(), 0.0));
}

TEST(RunPlan, TheHttpScenarioIsPlannedFromItsOwnEstimate) {
  harness::RunPlan plan;
  plan.listing = plan.loop = plan.caching = plan.derived = plan.saves = false;
  plan.http = harness::OuterScenario{"http", [](const harness::CallSeconds& calls) { return calls ? 7.0 : 5.0; }, {}};
  EXPECT_EQ(at(plan.planned_seconds(), Stage::http), 5.0);
  EXPECT_EQ(at(plan.planned_seconds(naive_second), Stage::http), 7.0);
}

TEST(HttpRunSpec, ASlowImplementationsWindowsEndWhenTheServerHasAnsweredWhatTheyLeft) {
  loadgen::HttpRunSpec spec;
  spec.listings = {Listing::public_certificates};
  spec.impls = {"naive", "limited"};
  spec.connections = {8};
  spec.repetitions = 6;
  spec.server_threads = 4;
  spec.capacity_shares = {};
  spec.uploads = {};
  const double budgets = spec.estimated_seconds();
  const double known = spec.estimated_seconds(naive_second);
  // Naive's six windows each end after the 8 requests queued on 4 threads (2 s), its window is
  // longer than the shortest, and its warm-up is a request.
  EXPECT_GE(known - budgets, 6 * 2.0 + 1.0);
  // Calls too slow for the longest window are not measured, so not planned either.
  const auto too_slow = [](Listing, std::string_view impl) { return impl == "naive" ? 100.0 : 0.0; };
  EXPECT_LT(spec.estimated_seconds(too_slow) - budgets, 100.0 + 1);  // its warm-up request alone
}

// What the caller seeds before measuring: the sweep's other scales and the index sets' copies
// (index set none), each the run's dataset but for that — never the run's own schema.
TEST(RunPlan, TheDatasetsToSeedAreTheSweepsOtherScalesAndTheIndexCopies) {
  harness::RunPlan plan;
  plan.scale = 10'000;
  for (std::uint64_t scale : {1'000u, 10'000u, 100'000u}) plan.sweep.push_back(harness::sweep_point("run", 10'000, scale));
  plan.indexes = true;
  plan.index_spec = harness::IndexRunSpec::of_run(plan.listing_spec, "run");
  const fixtures::DatasetSpec run_dataset{10'000, 42, fixtures::IndexSet::best};
  const auto datasets = plan.datasets(run_dataset, "run");
  ASSERT_EQ(datasets.size(), 2u + plan.index_spec.copies.size());
  EXPECT_EQ(datasets[0].spec.scale, 1'000u);
  EXPECT_EQ(datasets[1].spec.scale, 100'000u);
  for (const auto& d : datasets) {
    EXPECT_NE(d.schema, "run");
    EXPECT_EQ(d.spec.seed, 42u) << d.schema;
  }
  for (std::size_t i = 2; i < datasets.size(); ++i) {
    EXPECT_EQ(datasets[i].spec.indexes, fixtures::IndexSet::none) << datasets[i].schema;
    EXPECT_EQ(datasets[i].spec.scale, 10'000u) << datasets[i].schema;
    EXPECT_EQ(datasets[i].schema, plan.index_spec.copies[i - 2].schema);
  }
  plan.indexes = false;
  plan.sweep.clear();
  EXPECT_TRUE(plan.datasets(run_dataset, "run").empty());
}
