#pragma once
// A listing page as requests on one event loop ("concurrency deltas" for every path family): spec.clients concurrent requests on the loop of harness/loop_load.hpp, each running its
// page on a database thread pool of `sessions` sessions — the async driver's connection pool of a
// server — so the loop never blocks on the database, and the lag shows what else does.
#include "certbench/harness/listing_threads.hpp"
#include "certbench/harness/loop_load.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace certbench::harness {

/// Throws on a failed call (like run_listing_on_threads).
LoopLoadResult run_listing_on_loop(const LoadSpec& spec, unsigned sessions);

/// The listings' concurrency section of `certbench run`: every listing, every implementation
/// whose answer differs (listing_implementations(listing)), at each concurrency, page 1.
struct ListingLoopSpec {
  std::string dsn;
  std::string schema;
  PageRequest page{1, 20, std::nullopt};
  std::vector<unsigned> concurrency{8};
  unsigned sessions = 4;  ///< the database pool's sessions (and threads)
  std::chrono::milliseconds duration_per_point{500};  ///< split into `repetitions` interleaved windows
  unsigned repetitions = 3;
};

struct ListingLoopPoint {
  Listing listing;
  std::string impl;
  LoopLoadResult load;
};

/// In listing order, implementations (and repetitions) interleaved at each concurrency; the user listing is the
/// busiest owner's. `progress` hears which point is under way.
std::vector<ListingLoopPoint> measure_listings_on_loop(const ListingLoopSpec& spec,
                                                       const std::function<void(std::string_view)>& progress = {});

}  // namespace certbench::harness
