#include "gate_trials.hpp"

#include <memory>
#include <optional>

#include "certbench/impl_optimized/listing.hpp"

#include "certbench/harness/listing_run.hpp"
#include "certbench/harness/rounds.hpp"
#include "certbench/harness/scenarios.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/results/analysis.hpp"

namespace certbench::testing {

results::Run measure_listings_run(const DatasetOf& dataset, std::chrono::milliseconds budget_per_listing,
                                  const harness::ListingOpener& open) {
  harness::ListingRunSpec spec;
  spec.open = open;
  spec.dsn = dataset.dsn;
  spec.schema = dataset.schema;
  spec.budget_per_listing = budget_per_listing;
  results::Run run;
  run.environment.dataset_scale = dataset.scale;
  run.environment.dataset_seed = dataset.seed;
  run.environment.dataset_indexes = dataset.indexes;
  run.environment.dataset_fingerprint = "scale=" + std::to_string(dataset.scale) + "/seed=" + std::to_string(dataset.seed);
  run.series = harness::to_series(harness::measure_listings(spec), spec.page.size, dataset.scale, results::family::listing);
  run.complete = true;
  results::analyse(run);
  return run;
}

std::vector<gate::Check> head_base_trial(const DatasetOf& dataset, const harness::ListingFactory& head,
                                         std::chrono::milliseconds budget_per_listing, unsigned min_rounds) {
  // Base and head on ONE session: two backends differ by 20-60% on this 2-core machine (where the
  // scheduler puts each relative to the client), a bias no test on the rounds can tell from a
  // regression (docs/gate.md). The head's statements are the base's or have names of their own.
  const std::int64_t user = impl_common::busiest_owner(dataset.dsn, dataset.schema);
  struct Path {
    harness::ListingSession session;
    std::unique_ptr<ListingFunctions> head;
    results::Series base_series, head_series;
  };
  std::vector<Path> paths;
  for (Listing listing : kListings) {
    auto s = harness::open_listing_session(dataset.dsn, dataset.schema, "limited");
    auto h = head ? head(s) : std::make_unique<impl_optimized::Listings>(*s.db, impl_optimized::Strategy::limited_branches);
    results::Series series;
    series.family = results::family::listing;
    series.path = std::string(to_string(listing));
    series.implementation = "limited";
    series.parameters = {{"scale", static_cast<double>(dataset.scale)}};
    paths.push_back({std::move(s), std::move(h), series, series});
  }
  std::vector<std::pair<const results::Series*, const results::Series*>> pairs;
  for (std::size_t k = 0; k < paths.size(); ++k) {
    auto& p = paths[k];
    const Listing listing = kListings[k];
    std::vector<harness::RoundSubject> subjects(2);
    for (std::size_t side = 0; side < 2; ++side) {
      ListingFunctions* l = side == 0 ? p.session.listings.get() : p.head.get();
      subjects[side].calls = [l, listing, user](std::size_t, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) l->list(listing, user, {1, 20, std::nullopt});
      };
    }
    harness::RoundsSpec spec;
    spec.budget = budget_per_listing;
    spec.min_rounds = min_rounds;
    spec.max_rounds = 10'000;
    harness::run_rounds(subjects, spec);
    p.base_series.samples[results::Metric::latency] = subjects[0].seconds;
    p.head_series.samples[results::Metric::latency] = subjects[1].seconds;
    pairs.emplace_back(&p.base_series, &p.head_series);
  }
  return gate::judge_head_base(pairs, gate::default_policy());
}

}  // namespace certbench::testing
