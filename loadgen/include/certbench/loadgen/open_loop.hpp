#pragma once
// certbench's open-loop HTTP load generator (Boost.Asio and Beast): requests (a GET, or a POST of
// one body) sent on a fixed schedule — request i is due at start + i / rate — whatever the server does, over at most
// `connections` keep-alive connections. Each response's latency counts from its request's
// *intended* start, as wrk2, k6's constant-arrival-rate executor and pgbench --rate count it, so
// a server that stalls is charged for every request the stall held back (no coordinated omission).
//
// Bounded: a request that cannot be sent, or is not answered, within `deadline` of its intended
// start is dropped (counted, its connection closed), never queued without end; a slow server
// makes the generator fall behind, visibly (late and dropped), rather than slow its clock.
//
// On time: the generator's one thread shares the cores with the server it drives (and, on one
// machine, its database); a send waits whenever that thread waits for a core. With `realtime`
// the thread is raised to the real-time policy SCHED_FIFO (priority 1) while it runs, where the
// process may (root or CAP_SYS_NICE) and it is not real-time already: a timer that fires
// preempts the server's threads at once. It sleeps between sends, so the server keeps the CPU it
// needs; the result says whether it was raised. certbench load-http asks for it; certbench run,
// whose server runs in the same process, does not.
//
// Thread safety: run_open_loop runs on the calling thread (its own io_context); call it from one
// thread at a time per result.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "certbench/loadgen/histogram.hpp"
#include "certbench/results/run.hpp"

namespace certbench::loadgen {

struct OpenLoopOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string target = "/";                         ///< path and query of each request
  /// A POST of this body, with this Content-Type, instead of a GET.
  struct Post {
    std::string body;
    std::string content_type;
  };
  std::optional<Post> post;
  double rate = 100;                                ///< requests per second: the schedule
  unsigned connections = 64;                        ///< at most this many requests in flight
  std::chrono::milliseconds duration{1000};         ///< the schedule's window
  std::chrono::milliseconds deadline{2000};         ///< to be sent and answered, from the intended start
  std::chrono::microseconds on_time{1000};          ///< sent within this of its intended start: on schedule
  bool realtime = false;                            ///< raise the thread to SCHED_FIFO while it runs, where permitted
  /// Every `check_every`th good answer (0: none) is handed to `check` with its body; a non-empty
  /// return says what is wrong with it (the first is kept).
  std::uint64_t check_every = 0;
  std::function<std::string(const std::string& body)> check;
};

struct OpenLoopResult {
  double seconds = 0;             ///< the schedule's window
  std::uint64_t scheduled = 0;    ///< requests the schedule held in the window
  std::uint64_t sent = 0;
  std::uint64_t on_schedule = 0;  ///< sent within on_time of their intended start
  std::uint64_t answered = 0;     ///< responses read whole (any status)
  std::uint64_t non_2xx = 0;
  std::uint64_t errors = 0;       ///< connections refused, reset or closed mid-answer (sent or not)
  std::uint64_t dropped = 0;      ///< not sent, or not answered, within the deadline (sent or not)
  std::uint64_t checked = 0;      ///< answers handed to the check
  std::string wrong;              ///< the first check that failed ("" = none)
  bool realtime = false;          ///< the thread ran under SCHED_FIFO
  /// Of the 2xx answers (a refusal's quick 503 is a failure, not a response time):
  LogHistogram latency;           ///< intended start to the answer's end: what a user of the schedule waited
  LogHistogram service;           ///< send to the answer's end: what a closed loop would have timed
  /// The 2xx answers: the good ones.
  [[nodiscard]] std::uint64_t good() const noexcept { return answered - non_2xx; }
  [[nodiscard]] double offered_rate() const noexcept { return seconds > 0 ? static_cast<double>(scheduled) / seconds : 0; }
  [[nodiscard]] double achieved_rate() const noexcept { return seconds > 0 ? static_cast<double>(good()) / seconds : 0; }
  /// Requests that got no good answer: non-2xx, errors and dropped. answered + errors + dropped
  /// = scheduled.
  [[nodiscard]] std::uint64_t failures() const noexcept { return non_2xx + errors + dropped; }
};

/// One open-loop point's windows as a Series of family http, mode open_loop, to be named and
/// given its parameters by the caller: throughput (good answers per second, one sample per
/// window), latency_p50 … latency_p999 from the schedule (a percentile that requests without a
/// good answer reached in any window has no samples), requests (scheduled), failures,
/// offered_rate and latency_buckets, the response times at fixed bounds (0.1 ms … 10 s) with the
/// requests without a good answer in the count only. No windows: offered_rate alone.
results::Series open_loop_series(const std::vector<OpenLoopResult>& windows, double offered_rate);

/// The highest rate the generator takes.
inline constexpr double kMaxOpenLoopRate = 1'000'000;

/// Runs one window of the schedule and returns when every request sent has been answered or has
/// passed its deadline. Throws UsageError for a rate that is not positive or above
/// kMaxOpenLoopRate, a window that is not positive or that holds no request, and a host that is
/// not an IP address.
OpenLoopResult run_open_loop(const OpenLoopOptions& options);

}  // namespace certbench::loadgen
