#pragma once
// Two builds compared on timing in one run (`certbench run --compare-binary OLD`): the old build's
// worker and this build's own (both through worker.hpp's process and pipe path, so that neither
// side has a shorter way to the database) serve the same listing pages on the same dataset, in
// interleaved rounds (rounds.hpp: base and head each make a batch per round, the first of a round
// alternating). Each worker times its own batch, so the pipe is not in the figure. The gate judges
// head/base per path (gate::judge_head_base: Mann-Whitney U with Holm's correction, a paired
// bootstrap interval, a threshold and an absolute floor).
//
// Thread safety: runs on the calling thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/listing.hpp"
#include "certbench/harness/worker.hpp"

namespace certbench::harness {

struct CompareRunSpec {
  std::string dsn;
  std::string schema;
  std::string base_binary;                    ///< the old build: a certbench binary with `certbench worker`
  std::string head_binary = "/proc/self/exe";  ///< this build
  std::vector<Listing> listings{kListings.begin(), kListings.end()};
  PageRequest page{1, 20, std::nullopt};
  std::chrono::milliseconds budget_per_pair{2000};  ///< per (listing, implementation); then the round ends
  /// The budget is split into blocks, each on two fresh worker processes that measure every pair
  /// in turn (compare_run.cpp says why); a side's sample is a block's median round.
  unsigned blocks = 16;
  unsigned min_rounds_per_block = 5;  ///< whatever the budget
  unsigned max_rounds = 2000;
  /// A side's batch is sized so that it takes at least this long (the clock and the request's own
  /// cost are then small against it); one call when a call takes longer.
  std::chrono::microseconds min_batch{2000};
};

/// The implementations two builds are compared on for `listing`: the product's paths, every one
/// but naive, the review's literal fix and the per-kind candidates (pipelined, parallel) — limited,
/// and cached at the endpoint.
std::vector<std::string> compared_implementations(Listing listing);

struct CompareMeasurement {
  Listing listing = Listing::public_certificates;
  std::string impl;
  std::size_t batch = 1;                           ///< calls per side per round
  std::vector<double> base_seconds, head_seconds;  ///< one per block: its median round's mean call
};

struct CompareResult {
  WorkerBuild base, head;
  std::vector<CompareMeasurement> pairs;
};

/// Starts both workers (InputError when the base has no compatible worker), then measures each
/// listing's compared implementations. Throws InputError when the two builds answer a page with
/// different numbers of rows (their timings would not compare), and the workers' errors.
CompareResult measure_compare(const CompareRunSpec& spec, const std::function<void(std::string_view)>& progress = {});

}  // namespace certbench::harness
