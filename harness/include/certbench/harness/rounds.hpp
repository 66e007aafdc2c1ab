#pragma once
// Interleaved rounds: the measurement core of `certbench run`'s listing and caching scenarios.
// Every round calls each subject once (a batch of calls), back to back, so that drift on a shared
// machine hits all subjects alike; the first subject of a round rotates; rounds go on until a time budget is spent and at least a
// minimum of rounds is made. Sample i of every subject comes from round i, which is what lets the
// results model pair them (results/statistics.hpp).
//
// The harness's own cost per sample is one clock pair and one indirect call per batch (and, with
// meter_heap, two jemalloc reads); scripts/bench-overhead measures it against a bare loop.
//
// Thread safety: runs on the calling thread; the subjects are the caller's.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace certbench::harness {

struct RoundSubject {
  /// Makes `count` calls, the first with index `first` (the loop is the subject's, so the harness
  /// adds one indirect call per batch, not per call).
  std::function<void(std::size_t first, std::size_t count)> calls;
  /// Untimed work before each call (a miss drops the cache here); the batch is then timed call by
  /// call instead of as a whole.
  std::function<void()> before;
  std::size_t batch = 1;
  bool meter_heap = false;        ///< peak heap of each sample (jemalloc; meaningful with batch 1)
  std::size_t warmup_calls = 1;   ///< untimed calls first: statements prepared, caches filled
  std::vector<double> seconds;    ///< out: one per round, the mean call of its batch
  std::vector<double> peak_heap;  ///< out: one per round when metered (empty without jemalloc)
  std::uint64_t calls_made = 0;   ///< out: measured calls
};

struct RoundsSpec {
  std::chrono::milliseconds budget{1000};
  unsigned min_rounds = 9;        ///< at least this many, whatever the budget …
  unsigned min_rounds_slow = 3;   ///< … or this many when the slowest warm-up call took `slow_call`
  std::chrono::milliseconds slow_call{1000};
  unsigned max_rounds = 100'000;
  std::function<void()> after_warmup;  ///< e.g. reset counters, so that the warm-up is not counted
};

/// Runs the rounds; returns how many were made. Exceptions from a subject propagate.
unsigned run_rounds(std::vector<RoundSubject>& subjects, const RoundsSpec& spec);

}  // namespace certbench::harness
