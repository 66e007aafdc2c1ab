#pragma once
// The heap one call holds and allocates on the calling thread, counting every allocation —
// libpq's mallocs as well as operator new — through jemalloc.
//
// While an ExactHeap is alive, the figures are exact to the byte: jemalloc keeps exact per-thread
// totals of the bytes each thread allocated and freed (thread.allocatedp, thread.deallocatedp:
// usable sizes, jemalloc's size classes), and an allocation hook (jemalloc 5.3's
// experimental.hooks.install) counts each allocation and, after it, takes the thread's current
// bytes (allocated − freed) as the peak when they are higher. The hook sends every allocation in
// the process down jemalloc's slower path (scripts/bench-overhead measures it: about 30 ns an
// allocation), so certbench meters calls apart from the timed ones, under an ExactHeap. Without
// one (or where the hook cannot be installed) the peak comes from jemalloc's thread.peak counters,
// which move about every 64 KiB allocated, and there is no allocation count.
//
// Available when the program runs on jemalloc (release builds link it as the allocator); in
// sanitizer builds, which keep their own allocator, available() is false and nothing is reported.
//
// Thread safety: a HeapMeter measures the thread that calls start(); use it from that thread.
// ExactHeap may be created on any thread; the hook is process-wide while any is alive.
#include <cstdint>
#include <optional>

namespace certbench::harness {

class HeapMeter {
 public:
  [[nodiscard]] static bool available() noexcept;
  /// True when peak(), allocations() and bytes_allocated() are exact: an ExactHeap is alive and
  /// jemalloc took its hook.
  [[nodiscard]] static bool exact() noexcept;
  /// Starts a measurement on the calling thread.
  void start() noexcept;
  /// The peak of (bytes allocated − bytes freed) by this thread since start(), above what it held
  /// at start(); std::nullopt when unavailable, or when start() was exact and the hook has gone
  /// since (never a reading that mixes the two).
  [[nodiscard]] std::optional<std::uint64_t> peak() const noexcept;
  /// Allocations this thread made since start() (realloc that moves counts one); std::nullopt
  /// unless exact().
  [[nodiscard]] std::optional<std::uint64_t> allocations() const noexcept;
  /// Bytes this thread allocated since start() (usable sizes), freed or not; std::nullopt unless
  /// exact().
  [[nodiscard]] std::optional<std::uint64_t> bytes_allocated() const noexcept;

  /// Bytes the whole process has allocated and not freed right now (jemalloc's stats.allocated,
  /// refreshed first; a few microseconds); std::nullopt when unavailable.
  [[nodiscard]] static std::optional<std::uint64_t> process_allocated() noexcept;

 private:
  bool exact_ = false;  ///< start() found the hook in place: the readings are exact, or nothing
  std::uint64_t start_allocations_ = 0;
  std::uint64_t start_allocated_ = 0;
  std::int64_t start_held_ = 0;
};

/// While alive, HeapMeter's figures are exact (the allocation hook is installed, process-wide;
/// nested ones share it). Start meters after making it.
class ExactHeap {
 public:
  ExactHeap() noexcept;
  ~ExactHeap();
  ExactHeap(const ExactHeap&) = delete;
  ExactHeap& operator=(const ExactHeap&) = delete;
};

}  // namespace certbench::harness
