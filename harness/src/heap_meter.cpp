#include "certbench/harness/heap_meter.hpp"

#include <cstddef>

// Resolved only when jemalloc is linked: a weak reference, so sanitizer builds link without it.
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp, std::size_t newlen)
    __attribute__((weak));

namespace certbench::harness {

bool HeapMeter::available() noexcept {
  if (mallctl == nullptr) return false;
  std::uint64_t peak = 0;
  std::size_t size = sizeof peak;
  return mallctl("thread.peak.read", &peak, &size, nullptr, 0) == 0;
}

void HeapMeter::start() noexcept {
  if (mallctl != nullptr) mallctl("thread.peak.reset", nullptr, nullptr, nullptr, 0);
}

std::optional<std::uint64_t> HeapMeter::peak() const noexcept {
  if (mallctl == nullptr) return std::nullopt;
  std::uint64_t peak = 0;
  std::size_t size = sizeof peak;
  if (mallctl("thread.peak.read", &peak, &size, nullptr, 0) != 0) return std::nullopt;
  return peak;
}

std::optional<std::uint64_t> HeapMeter::process_allocated() noexcept {
  if (mallctl == nullptr) return std::nullopt;
  std::uint64_t epoch = 1;
  std::size_t size = sizeof epoch;
  if (mallctl("epoch", &epoch, &size, &epoch, sizeof epoch) != 0) return std::nullopt;
  std::size_t allocated = 0;
  size = sizeof allocated;
  if (mallctl("stats.allocated", &allocated, &size, nullptr, 0) != 0) return std::nullopt;
  return allocated;
}

}  // namespace certbench::harness
