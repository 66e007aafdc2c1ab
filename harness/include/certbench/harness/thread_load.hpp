#pragma once
// The closed-loop driver on threads: each of N threads repeats one blocking call back to back for
// a fixed duration, and every call's latency is recorded. What the listings' `certbench load`
// (pgbench's model: a client per thread, each with its own session) and the disk's write ceiling
// of the file-save run measure with. The event-loop driver is loop_load.hpp.
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

#include "certbench/results/statistics.hpp"

namespace certbench::harness {

struct ThreadLoadResult {
  unsigned threads = 0;
  std::uint64_t calls = 0;
  double seconds = 0;  ///< wall time of the measured window
  double calls_per_second = 0;
  results::Summary latency_ms;  ///< of latencies_ms, milliseconds
  /// Every call's latency, thread by thread (the raw samples, for the results model).
  std::vector<double> latencies_ms;
};

/// The call a thread repeats.
using ThreadCall = std::function<void()>;

/// `prepare(i)` runs on thread i before the window opens (connect, warm up, …) and returns the
/// call that thread repeats; all threads then start together and stop at the end of `duration`.
/// The first exception, from a prepare or a call, stops every thread and is rethrown here.
ThreadLoadResult run_on_threads(unsigned threads, std::chrono::milliseconds duration,
                                const std::function<ThreadCall(unsigned index)>& prepare);

}  // namespace certbench::harness
