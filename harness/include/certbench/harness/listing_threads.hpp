#pragma once
// A closed-loop listing load on threads (thread_load.hpp): `clients` threads, each with its own
// database session, call one listing page back to back for a fixed duration. (The event-loop driver,
// loop_load.hpp, measures concurrency on one thread; this one mirrors pgbench's clients, for
// comparing with it on identical SQL.)
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "certbench/core/listing.hpp"
#include "certbench/harness/thread_load.hpp"

namespace certbench::harness {

struct LoadSpec {
  std::string dsn;
  std::string schema;
  std::string impl;  ///< harness::make_listings name
  Listing listing = Listing::public_certificates;
  std::int64_t user_id = 0;
  PageRequest page;
  unsigned clients = 1;
  std::chrono::milliseconds duration{10'000};
};

using LoadResult = ThreadLoadResult;

/// Runs the load (each session warmed up first, outside the window); throws on a failed call.
LoadResult run_listing_on_threads(const LoadSpec& spec);

}  // namespace certbench::harness
