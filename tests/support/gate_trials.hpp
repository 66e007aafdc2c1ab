#pragma once
// What the gate's tests and scripts/gate-noise run in-process: the listings measured into a Run as
// `certbench run` measures them, and a head/base A/B of the limited listings in interleaved rounds
// judged by the gate — the head made by a replacement factory (a regression on purpose) or the same
// code (an A/A: anything caught is a false alarm).
#include <chrono>
#include <string>
#include <vector>

#include "certbench/gate/gate.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/results/run.hpp"

namespace certbench::testing {

struct DatasetOf {
  std::string dsn, schema;
  std::uint64_t scale = 0, seed = 42;
  std::string indexes = "best";
};

/// Every listing, every implementation, measured by harness::measure_listings on the sessions
/// `open` opens (a regression comes in there: harness::replacing); analysed. The environment names
/// the dataset only (enough for the gate's checks of the inputs).
results::Run measure_listings_run(const DatasetOf& dataset, std::chrono::milliseconds budget_per_listing,
                                  const harness::ListingOpener& open = harness::open_listing_session);

/// The limited listings of `dataset`, each on one session: the base as usual, the head made by
/// `head` on the same session (the usual implementation when empty), measured in interleaved
/// rounds for `budget_per_listing` each (at least `min_rounds`), judged by gate::judge_head_base
/// under the default policy: one check per listing, Holm-corrected across them.
std::vector<gate::Check> head_base_trial(const DatasetOf& dataset, const harness::ListingFactory& head,
                                         std::chrono::milliseconds budget_per_listing, unsigned min_rounds = 20);

}  // namespace certbench::testing
