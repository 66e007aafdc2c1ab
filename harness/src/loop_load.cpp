#include "certbench/harness/loop_load.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <thread>
#include <vector>

#include "certbench/harness/heap_meter.hpp"
#include "certbench/results/statistics.hpp"

namespace asio = boost::asio;

namespace certbench::harness {
namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// One phase of the load; everything runs on the loop thread, so nothing here needs a lock.
struct Phase {
  Phase(const LoopLoadSpec& s, const LoopRequest& r) : spec(s), request(r) {}
  const LoopLoadSpec& spec;
  const LoopRequest& request;
  std::uint64_t limit = 0;  // requests; 0: until the deadline
  Clock::time_point deadline;
  std::uint64_t next = 0;
  unsigned in_flight = 0, workers_left = 0;
  LoopLoadResult result;
  std::vector<double> latencies, lags;
  std::thread::id loop_thread;
  asio::steady_timer* probe_timer = nullptr;
  bool done = false;
  Clock::time_point ended;  // when the last worker stopped: the window's end

  bool more() const { return limit > 0 ? next < limit : Clock::now() < deadline; }
};

asio::awaitable<void> worker(Phase& p) {
  auto loop = co_await asio::this_coro::executor;
  while (p.more()) {
    // Each request arrives as a new task on the loop, as a server's does: what is ready to run
    // (the lag probe, other requests' continuations) runs before it.
    co_await asio::post(loop, asio::use_awaitable);
    if (!p.more()) break;
    const auto index = p.next++;
    p.result.max_in_flight = std::max(p.result.max_in_flight, ++p.in_flight);
    const auto t0 = Clock::now();
    try {
      co_await p.request(index);
    } catch (const std::exception& e) {
      if (p.result.failures++ == 0) p.result.first_failure = e.what();
    } catch (...) {  // never let a worker die: the phase ends only when every worker has
      if (p.result.failures++ == 0) p.result.first_failure = "a request threw something that is not an exception";
    }
    p.latencies.push_back(ms(Clock::now() - t0));
    --p.in_flight;
  }
  if (--p.workers_left == 0) {
    // A worker stops when it finds the window closed, which for a timed phase is at or after the
    // deadline (its last request may have ended just before it): the window runs until then.
    p.ended = Clock::now();
    p.done = true;
    if (p.probe_timer != nullptr) p.probe_timer->cancel();
  }
}

std::optional<std::uint64_t> allocated_now() { return HeapMeter::process_allocated(); }

asio::awaitable<void> lag_probe(Phase& p, asio::io_context& io) {
  asio::steady_timer timer(io);
  p.probe_timer = &timer;
  bool on_loop = true;
  unsigned wakes = 0;
  while (!p.done) {
    const auto due = Clock::now() + p.spec.lag_period;
    timer.expires_at(due);
    try {
      co_await timer.async_wait(asio::use_awaitable);
    } catch (const boost::system::system_error&) {
      // Cancelled: the load is over. If the timer was already due, the loop was late for it.
      if (Clock::now() > due) p.lags.push_back(ms(Clock::now() - due));
      break;
    }
    p.lags.push_back(std::max(0.0, ms(Clock::now() - due)));
    on_loop = on_loop && std::this_thread::get_id() == p.loop_thread;
    if (++wakes % 10 == 0)
      if (auto bytes = allocated_now())
        p.result.peak_allocated_bytes = std::max(p.result.peak_allocated_bytes.value_or(0), *bytes);
  }
  p.result.lag_on_loop_thread = on_loop && !p.lags.empty();
  p.probe_timer = nullptr;
}

LoopLoadResult run_phase(asio::io_context& io, const LoopLoadSpec& spec, const LoopRequest& request,
                         std::uint64_t limit, std::chrono::milliseconds duration) {
  Phase p(spec, request);
  p.limit = limit;
  p.loop_thread = std::this_thread::get_id();
  p.result.concurrency = std::max(1u, spec.concurrency);
  p.workers_left = p.result.concurrency;
  if (auto bytes = allocated_now()) p.result.peak_allocated_bytes = *bytes;
  const auto start = Clock::now();
  p.deadline = start + duration;
  p.ended = start;
  asio::co_spawn(io, lag_probe(p, io), asio::detached);
  for (unsigned i = 0; i < p.result.concurrency; ++i) asio::co_spawn(io, worker(p), asio::detached);
  io.restart();
  io.run();
  p.result.requests = p.latencies.size();
  p.result.seconds = std::max(1e-9, std::chrono::duration<double>(p.ended - start).count());
  p.result.requests_per_second = static_cast<double>(p.result.requests - p.result.failures) / p.result.seconds;
  p.result.latency_ms = results::summarize(p.latencies);
  p.result.lag_ms = results::summarize(p.lags);
  p.result.latencies_ms = std::move(p.latencies);
  p.result.lags_ms = std::move(p.lags);
  p.result.throughput_samples = {p.result.requests_per_second};
  if (p.result.lag_ms.n > 0) p.result.lag_p99_samples_ms = {p.result.lag_ms.p99};
  return p.result;
}

}  // namespace

LoopLoadResult merge_repetitions(const std::vector<LoopLoadResult>& reps) {
  LoopLoadResult m;
  if (reps.empty()) return m;
  m.concurrency = reps.front().concurrency;
  m.lag_on_loop_thread = true;
  std::uint64_t succeeded = 0;
  for (const auto& r : reps) {
    m.max_in_flight = std::max(m.max_in_flight, r.max_in_flight);
    m.requests += r.requests;
    m.failures += r.failures;
    if (m.first_failure.empty()) m.first_failure = r.first_failure;
    m.seconds += r.seconds;
    succeeded += r.requests - r.failures;
    m.lag_on_loop_thread = m.lag_on_loop_thread && r.lag_on_loop_thread;
    if (r.peak_allocated_bytes)
      m.peak_allocated_bytes = std::max(m.peak_allocated_bytes.value_or(0), *r.peak_allocated_bytes);
    m.latencies_ms.insert(m.latencies_ms.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    m.lags_ms.insert(m.lags_ms.end(), r.lags_ms.begin(), r.lags_ms.end());
    m.throughput_samples.push_back(r.requests_per_second);
    if (r.lag_ms.n > 0) m.lag_p99_samples_ms.push_back(r.lag_ms.p99);
    if (r.pool) {
      if (!m.pool) m.pool = SessionPoolFigures{r.pool->sessions, 0, 0, {}, {}};
      m.pool->max_in_use = std::max(m.pool->max_in_use, r.pool->max_in_use);
      m.pool->mean_in_use += r.pool->mean_in_use * r.seconds;  // weighted by the window; divided below
      m.pool->waits_ms.insert(m.pool->waits_ms.end(), r.pool->waits_ms.begin(), r.pool->waits_ms.end());
      m.pool->mean_in_use_samples.push_back(r.pool->mean_in_use);
    }
  }
  if (m.pool && m.seconds > 0) m.pool->mean_in_use /= m.seconds;
  m.requests_per_second = m.seconds > 0 ? static_cast<double>(succeeded) / m.seconds : 0;
  m.latency_ms = results::summarize(m.latencies_ms);
  m.lag_ms = results::summarize(m.lags_ms);
  return m;
}

void fill_pool_figures(LoopLoadResult& result, const impl_common::PoolUsage& usage) {
  SessionPoolFigures f;
  f.sessions = usage.size;
  f.max_in_use = usage.max_in_use;
  f.mean_in_use = result.seconds > 0 ? usage.held_seconds / result.seconds : 0;
  f.waits_ms.reserve(usage.waits_seconds.size());
  for (double s : usage.waits_seconds) f.waits_ms.push_back(s * 1e3);
  f.mean_in_use_samples = {f.mean_in_use};
  result.pool = std::move(f);
}

LoopLoadResult run_loop_load(asio::io_context& io, const LoopLoadSpec& spec, const LoopRequest& request) {
  if (spec.warmup_requests > 0) run_phase(io, spec, request, spec.warmup_requests, spec.duration);
  if (spec.on_window_start) spec.on_window_start();
  return run_phase(io, spec, request, spec.requests, spec.duration);
}

}  // namespace certbench::harness
