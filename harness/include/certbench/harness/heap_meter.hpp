#pragma once
// Peak heap bytes of one call on the calling thread, counting every allocation — libpq's mallocs
// as well as operator new — through jemalloc's per-thread peak counters (thread.peak.*).
//
// Available when the program runs on jemalloc (release builds link it as the allocator); in
// sanitizer builds, which keep their own allocator, available() is false and nothing is reported.
// jemalloc samples the peak about every 64 KiB allocated: figures are exact to within that.
#include <cstdint>
#include <optional>

namespace certbench::harness {

class HeapMeter {
 public:
  [[nodiscard]] static bool available() noexcept;
  /// Starts a measurement on the calling thread.
  void start() noexcept;
  /// The peak of (bytes allocated - bytes freed) by this thread since start(); std::nullopt when
  /// unavailable.
  [[nodiscard]] std::optional<std::uint64_t> peak() const noexcept;

  /// Bytes the whole process has allocated and not freed right now (jemalloc's stats.allocated,
  /// refreshed first; a few microseconds); std::nullopt when unavailable.
  [[nodiscard]] static std::optional<std::uint64_t> process_allocated() noexcept;
};

}  // namespace certbench::harness
