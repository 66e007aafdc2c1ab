#pragma once
// Interleaved rounds: the measurement core of `certbench run`'s listing and caching scenarios.
// Every round calls each subject once (a batch of calls), back to back, so that drift on a shared
// machine hits all subjects alike; the first subject of a round rotates; rounds go on until a time budget is spent and at least a
// minimum of rounds is made. Sample i of every subject comes from round i, which is what lets the
// results model pair them (results/statistics.hpp).
//
// The harness's own cost per sample is two clock pairs (wall and thread CPU) and one indirect call
// per batch; scripts/bench-overhead measures it against a bare loop. The rounds hold a
// sys::CpuMeter, so the database wrapper also reads the thread CPU clock around each of its
// statement calls (the statement_cpu split), and an implementation that marks its decoding around
// that (decode_cpu): measured calls pay those reads here and in serve (its Server-Timing), and
// nowhere else (load, profile). The heap is metered in calls
// of its own after the rounds, under jemalloc's allocation hook (harness/heap_meter.hpp), which
// would slow the timed calls.
//
// Thread safety: runs on the calling thread; the subjects are the caller's.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "certbench/harness/server_counts.hpp"

namespace certbench::harness {

struct RoundSubject {
  /// Makes `count` calls, the first with index `first` (the loop is the subject's, so the harness
  /// adds one indirect call per batch, not per call).
  std::function<void(std::size_t first, std::size_t count)> calls;
  /// Untimed work before each call (a miss drops the cache here); the batch is then timed call by
  /// call instead of as a whole.
  std::function<void()> before;
  std::size_t batch = 1;
  /// Also the heap of single calls, metered apart from the timed ones after the rounds (jemalloc;
  /// exact under an ExactHeap): RoundsSpec::heap_calls of them.
  bool meter_heap = false;
  std::size_t warmup_calls = 1;   ///< untimed calls first: statements prepared, caches filled
  std::vector<double> seconds;    ///< out: one per round, the mean call of its batch
  /// out: one per round, the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) of the mean call
  /// of its batch, read around the same calls as `seconds`.
  std::vector<double> cpu_seconds;
  /// out: the part of cpu_seconds spent inside the database wrapper's statement calls
  /// (sys::CpuPart::statement).
  std::vector<double> statement_cpu_seconds;
  /// out: the part of cpu_seconds spent decoding rows (sys::CpuPart::decode), one per round where
  /// the subject's calls mark it; empty for code that does not.
  std::vector<double> decode_cpu_seconds;
  /// out, when the server's time was read around this subject's calls (RoundsSpec::server_time):
  /// one per round, the mean call's server execution, and planning where the server tracks it.
  std::vector<double> server_exec_seconds;
  std::vector<double> server_plan_seconds;
  /// out, when metered: one per metered call — its peak heap (empty without jemalloc), and, when
  /// exact, its allocations and bytes allocated.
  std::vector<double> peak_heap;
  std::vector<double> allocations;
  std::vector<double> bytes_allocated;
  std::uint64_t calls_made = 0;   ///< out: measured calls
};

struct RoundsSpec {
  std::chrono::milliseconds budget{1000};
  unsigned min_rounds = 9;        ///< at least this many, whatever the budget …
  unsigned min_rounds_slow = 6;   ///< … or this many when the slowest warm-up call took `slow_call`
  std::chrono::milliseconds slow_call{1000};
  unsigned max_rounds = 100'000;
  std::function<void()> after_warmup;  ///< e.g. reset counters, so that the warm-up is not counted
  /// After the timed rounds, before the heap's calls: read counters here, so that those calls are
  /// not counted.
  std::function<void()> after_rounds;
  /// The server's time so far (ServerStatements::time_so_far), read untimed around each timed
  /// batch of a subject whose warm-up call took at least `server_time_from`, so that its server
  /// time comes from the very calls its clocks timed. A faster subject is not read: the reading is
  /// a statement of its own, which would cost it more rounds than the window is worth.
  std::function<std::optional<ServerTime>()> server_time;
  std::chrono::milliseconds server_time_from{5};
  /// Metered calls per subject with meter_heap, paired across subjects like the rounds: at least 6,
  /// the fewest whose range is a 95% interval (the sign test) …
  unsigned heap_calls = 9;
  unsigned heap_calls_slow = 6;  ///< … or this many when the slowest warm-up call took `slow_call`
  /// After every call — warm-up, timed (after its round's figures are taken) and metered — a sign
  /// of progress, e.g. a watchdog's kick: a slow subject's rounds can take minutes.
  std::function<void()> heartbeat;
};

/// Runs the rounds; returns how many were made. Exceptions from a subject propagate.
unsigned run_rounds(std::vector<RoundSubject>& subjects, const RoundsSpec& spec);

}  // namespace certbench::harness
