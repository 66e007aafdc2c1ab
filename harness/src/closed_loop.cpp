#include "certbench/harness/closed_loop.hpp"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"

namespace certbench::harness {

LoadResult run_closed_loop(const LoadSpec& spec) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::vector<double>> latencies(spec.clients);
  std::exception_ptr error;
  std::mutex error_mutex;
  std::atomic<bool> failed{false};
  Clock::time_point start, stop;
  // Every client connects and warms up, then all start together.
  std::barrier ready(static_cast<std::ptrdiff_t>(spec.clients), [&]() noexcept {
    start = Clock::now();
    stop = start + spec.duration;
  });
  auto client = [&](unsigned index) {
    ListingSession session;
    try {
      session = open_listing_session(spec.dsn, spec.schema, spec.impl);
      session.listings->list(spec.listing, spec.user_id, spec.page);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
    ready.arrive_and_wait();
    if (failed) return;
    auto& mine = latencies[index];
    try {
      for (auto t0 = Clock::now(); t0 < stop && !failed; t0 = Clock::now()) {
        auto page = session.listings->list(spec.listing, spec.user_id, spec.page);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < spec.clients; ++i) threads.emplace_back(client, i);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  const auto end = Clock::now();

  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  LoadResult r;
  r.calls = all.size();
  r.seconds = std::chrono::duration<double>(end - start).count();
  if (all.empty()) return r;
  r.calls_per_second = static_cast<double>(r.calls) / r.seconds;
  r.mean_ms = std::accumulate(all.begin(), all.end(), 0.0) / static_cast<double>(all.size());
  auto pct = [&](double q) { return all[std::min(all.size() - 1, static_cast<std::size_t>(q * static_cast<double>(all.size())))]; };
  r.p50_ms = pct(0.50);
  r.p95_ms = pct(0.95);
  r.p99_ms = pct(0.99);
  return r;
}

}  // namespace certbench::harness
