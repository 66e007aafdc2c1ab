#pragma once
// The closed-loop driver on one event loop. C coroutines on one io_context, run by one
// thread as the backend's asyncio loop is, each issue requests back to back, for a fixed count or
// a duration. Beside them a probe coroutine asks a timer to wake it every `lag_period` and records
// how late it woke: the event-loop lag that every request on the loop suffers while something
// blocks the thread. Generic: a request is any coroutine (a file save, a listing page).
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "certbench/impl_common/idle_pool.hpp"
#include "certbench/results/statistics.hpp"

namespace boost::asio {
class io_context;
}

namespace certbench::harness {

struct LoopLoadSpec {
  unsigned concurrency = 1;
  std::uint64_t requests = 0;                  ///< stop after this many; 0: run for `duration`
  std::chrono::milliseconds duration{2000};
  std::uint64_t warmup_requests = 0;           ///< run first at the same concurrency, not measured
  std::chrono::microseconds lag_period{1000};  ///< how often the lag probe asks to wake
  std::function<void()> on_window_start;       ///< just before the measured window (after any warm-up): e.g. reset a pool's figures
};

/// How a driver's pool of database sessions was used during the window (the connection-pool
/// figures of a server's monitoring): filled in by the driver that owns the pool (fill_pool_figures).
struct SessionPoolFigures {
  unsigned sessions = 0;               ///< the pool's size
  unsigned max_in_use = 0;             ///< the most sessions held at once
  double mean_in_use = 0;              ///< sessions held, averaged over the window
  std::vector<double> waits_ms;        ///< per request: from asking for a session to holding one
  std::vector<double> mean_in_use_samples;  ///< mean_in_use of each repetition
};

struct LoopLoadResult {
  unsigned concurrency = 0;
  unsigned max_in_flight = 0;          ///< the concurrency really reached
  std::uint64_t requests = 0;          ///< completed in the measured window, failures included
  std::uint64_t failures = 0;
  std::string first_failure;
  double seconds = 0;
  double requests_per_second = 0;      ///< successful requests per second
  results::Summary latency_ms;         ///< of latencies_ms, milliseconds
  results::Summary lag_ms;             ///< of lags_ms, milliseconds (lag_ms.n: the probe's samples)
  bool lag_on_loop_thread = false;     ///< every lag sample was taken on the thread running the loop
  /// The most heap the process held during the window (jemalloc's stats.allocated, sampled by the
  /// probe every 10 wakes); std::nullopt without jemalloc.
  std::optional<std::uint64_t> peak_allocated_bytes;
  /// The raw samples behind the figures above (kept for the results model): every request's
  /// latency in the order they ended, every lag sample, and the throughput of each repetition
  /// (one value for a single run; see merge_repetitions).
  std::vector<double> latencies_ms, lags_ms, throughput_samples;
  std::vector<double> lag_p99_samples_ms;  ///< the lag's p99 of each repetition (its own one for a single run)
  std::optional<SessionPoolFigures> pool;  ///< when the driver ran the requests on a session pool
};

/// Puts a pool's usage over the result's window into `result.pool`.
void fill_pool_figures(LoopLoadResult& result, const impl_common::PoolUsage& usage);

/// One result from repetitions of the same point (run interleaved with other points, so that
/// drift hits all alike): samples concatenated, counts and time summed, percentiles recomputed,
/// and each repetition's throughput kept as a sample — the spread an interval is made from.
LoopLoadResult merge_repetitions(const std::vector<LoopLoadResult>& repetitions);

/// Request number `index` (0, 1, 2, … in the order they start).
using LoopRequest = std::function<boost::asio::awaitable<void>(std::uint64_t index)>;

/// Runs the load on `io` from the calling thread, which becomes the loop thread, and returns when
/// every request has ended. A request that throws is counted as a failure (the first message is
/// kept); the load goes on.
LoopLoadResult run_loop_load(boost::asio::io_context& io, const LoopLoadSpec& spec, const LoopRequest& request);

}  // namespace certbench::harness
