#pragma once
// A listing page as requests on one event loop (issue #5: "concurrency deltas" for every path
// family): spec.clients concurrent requests on the loop of harness/loop_load.hpp, each running its
// page on a database thread pool of `sessions` sessions — the async driver's connection pool of a
// server — so the loop never blocks on the database, and the lag shows what else does.
#include "certbench/harness/closed_loop.hpp"
#include "certbench/harness/loop_load.hpp"

namespace certbench::harness {

/// Throws on a failed call (like run_closed_loop).
LoopLoadResult run_listing_on_loop(const LoadSpec& spec, unsigned sessions);

}  // namespace certbench::harness
