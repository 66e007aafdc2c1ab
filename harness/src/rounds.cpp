#include "certbench/harness/rounds.hpp"

#include <algorithm>
#include <optional>

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
    // Each round starts with the next subject, so that none is always first (after a pause, with
    // cold caches) or always after the same neighbour.
    for (std::size_t k = 0; k < subjects.size(); ++k) {
      auto& s = subjects[(k + round) % subjects.size()];
      double seconds = 0;
      std::optional<std::uint64_t> peak;
      auto timed = [&](std::size_t first, std::size_t count) {
        if (s.meter_heap) heap.start();
        const auto t0 = Clock::now();
        s.calls(first, count);
        seconds += std::chrono::duration<double>(Clock::now() - t0).count();
        if (s.meter_heap)
          if (auto p = heap.peak()) peak = std::max(peak.value_or(0), *p);
      };
      if (s.before) {  // call by call, each after its untimed preparation
        for (std::size_t n = 0; n < s.batch; ++n) {
          s.before();
          timed(index++, 1);
        }
      } else {
        timed(index, s.batch);
        index += s.batch;
      }
      if (peak) s.peak_heap.push_back(static_cast<double>(*peak));
      s.seconds.push_back(seconds / static_cast<double>(s.batch));
      s.calls_made += s.batch;
    }
  return round;
}

}  // namespace certbench::harness
