#include "certbench/harness/rounds.hpp"

#include <algorithm>

#include "certbench/harness/heap_meter.hpp"

namespace certbench::harness {

unsigned run_rounds(std::vector<RoundSubject>& subjects, const RoundsSpec& spec) {
  using Clock = std::chrono::steady_clock;
  Clock::duration slowest{};
  for (auto& s : subjects)
    for (std::size_t i = 0; i < s.warmup_calls; ++i) {
      if (s.before) s.before();
      const auto t0 = Clock::now();
      s.calls(i, 1);
      slowest = std::max(slowest, Clock::now() - t0);
    }
  if (spec.after_warmup) spec.after_warmup();
  const unsigned min_rounds = slowest < spec.slow_call ? spec.min_rounds : spec.min_rounds_slow;
  HeapMeter heap;
  const auto deadline = Clock::now() + spec.budget;
  std::size_t index = 0;
  unsigned round = 0;
  for (; round < std::max(min_rounds, 1u) || (Clock::now() < deadline && round < spec.max_rounds); ++round)
    for (auto& s : subjects) {
      double seconds = 0;
      if (s.meter_heap) heap.start();
      if (s.before) {  // call by call, each after its untimed preparation
        for (std::size_t n = 0; n < s.batch; ++n) {
          s.before();
          const auto t0 = Clock::now();
          s.calls(index++, 1);
          seconds += std::chrono::duration<double>(Clock::now() - t0).count();
        }
      } else {
        const auto t0 = Clock::now();
        s.calls(index, s.batch);
        seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        index += s.batch;
      }
      if (s.meter_heap)
        if (auto p = heap.peak()) s.peak_heap.push_back(static_cast<double>(*p));
      s.seconds.push_back(seconds / static_cast<double>(s.batch));
      s.calls_made += s.batch;
    }
  return round;
}

}  // namespace certbench::harness
