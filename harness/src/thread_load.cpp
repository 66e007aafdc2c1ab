#include "certbench/harness/thread_load.hpp"

#include <algorithm>
#include <atomic>
#include <barrier>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>
#include <vector>

#include "certbench/results/statistics.hpp"

namespace certbench::harness {

ThreadLoadResult run_on_threads(unsigned threads, std::chrono::milliseconds duration,
                                const std::function<ThreadCall(unsigned index)>& prepare) {
  using Clock = std::chrono::steady_clock;
  threads = std::max(1u, threads);
  std::vector<std::vector<double>> latencies(threads);
  std::exception_ptr error;
  std::mutex error_mutex;
  std::atomic<bool> failed{false};
  auto fail = [&] {
    std::lock_guard lock(error_mutex);
    if (!error) error = std::current_exception();
    failed = true;
  };
  Clock::time_point start, stop;
  // Every thread prepares, then all start together.
  std::barrier ready(static_cast<std::ptrdiff_t>(threads), [&]() noexcept {
    start = Clock::now();
    stop = start + duration;
  });
  auto run = [&](unsigned index) {
    ThreadCall call;
    try {
      call = prepare(index);
    } catch (...) {
      fail();
    }
    ready.arrive_and_wait();
    if (failed) return;
    auto& mine = latencies[index];
    try {
      for (auto t0 = Clock::now(); t0 < stop && !failed; t0 = Clock::now()) {
        call();
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
    } catch (...) {
      fail();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i) pool.emplace_back(run, i);
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  const auto end = Clock::now();

  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  ThreadLoadResult r;
  r.threads = threads;
  r.calls = all.size();
  r.seconds = std::chrono::duration<double>(end - start).count();
  if (all.empty()) return r;
  r.calls_per_second = static_cast<double>(r.calls) / r.seconds;
  r.latency_ms = results::summarize(all);
  r.latencies_ms = std::move(all);
  return r;
}

}  // namespace certbench::harness
