#include "certbench/harness/heap_meter.hpp"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>

// Resolved only when jemalloc is linked: a weak reference, so sanitizer builds link without it.
extern "C" int mallctl(const char* name, void* oldp, std::size_t* oldlenp, void* newp, std::size_t newlen)
    __attribute__((weak));

namespace certbench::harness {

namespace {

// jemalloc 5.3's hook interface (include/jemalloc/internal/hook.h; "experimental.hooks.install"
// takes a hooks_t and returns a handle). Only allocations and in-place expansions are hooked:
// frees change the thread's deallocated total, which the peak reads, and lower no peak.
using HookAlloc = void (*)(void* extra, int type, void* result, std::uintptr_t result_raw, std::uintptr_t args_raw[3]);
using HookDalloc = void (*)(void* extra, int type, void* address, std::uintptr_t args_raw[3]);
using HookExpand = void (*)(void* extra, int type, void* address, std::size_t old_usize, std::size_t new_usize,
                            std::uintptr_t result_raw, std::uintptr_t args_raw[4]);
struct Hooks {
  HookAlloc alloc;
  HookDalloc dalloc;
  HookExpand expand;
  void* extra;
};

// This thread's counters. The hook runs on every thread; it does nothing until a HeapMeter on
// that thread has fetched jemalloc's per-thread totals.
struct ThreadCounters {
  const std::uint64_t* allocated = nullptr;    // jemalloc's thread.allocatedp
  const std::uint64_t* deallocated = nullptr;  // jemalloc's thread.deallocatedp
  std::uint64_t allocations = 0;
  std::int64_t peak_held = 0;                  // the most (allocated − deallocated) seen after an allocation
  // Signed: a thread may free more than it allocated (memory another thread allocated).
  [[nodiscard]] std::int64_t held() const noexcept {
    return static_cast<std::int64_t>(*allocated) - static_cast<std::int64_t>(*deallocated);
  }
  void after_growth() noexcept {
    if (allocated == nullptr) return;
    if (const auto now = held(); now > peak_held) peak_held = now;
  }
};
thread_local ThreadCounters counters;

void on_alloc(void*, int, void*, std::uintptr_t, std::uintptr_t*) {
  ++counters.allocations;
  counters.after_growth();
}
void on_expand(void*, int, void*, std::size_t, std::size_t, std::uintptr_t, std::uintptr_t*) { counters.after_growth(); }

// The installed hook's handle (jemalloc's) and how many ExactHeap hold it.
std::mutex hook_mutex;
void* hook_handle = nullptr;
unsigned hook_holders = 0;
std::atomic<bool> hook_installed{false};

void* install_hook() noexcept {
  if (mallctl == nullptr) return nullptr;
  Hooks hooks{on_alloc, nullptr, on_expand, nullptr};
  void* handle = nullptr;
  std::size_t size = sizeof handle;
  return mallctl("experimental.hooks.install", &handle, &size, &hooks, sizeof hooks) == 0 ? handle : nullptr;
}

bool hooked() noexcept { return hook_installed.load(std::memory_order_acquire); }

// This thread's counters, ready to read: jemalloc's per-thread totals fetched on first use.
ThreadCounters* thread_counters() noexcept {
  if (!hooked()) return nullptr;
  if (counters.allocated == nullptr) {
    const std::uint64_t* allocated = nullptr;
    const std::uint64_t* deallocated = nullptr;
    std::size_t size = sizeof allocated;
    if (mallctl("thread.allocatedp", &allocated, &size, nullptr, 0) != 0 ||
        mallctl("thread.deallocatedp", &deallocated, &size, nullptr, 0) != 0)
      return nullptr;
    counters.deallocated = deallocated;
    counters.allocated = allocated;  // last: the hook reads both once this is set
  }
  return &counters;
}

}  // namespace

bool HeapMeter::available() noexcept {
  if (mallctl == nullptr) return false;
  if (exact()) return true;
  std::uint64_t peak = 0;
  std::size_t size = sizeof peak;
  return mallctl("thread.peak.read", &peak, &size, nullptr, 0) == 0;
}

bool HeapMeter::exact() noexcept { return thread_counters() != nullptr; }

ExactHeap::ExactHeap() noexcept {
  const std::lock_guard lock(hook_mutex);
  if (hook_holders++ == 0) {
    hook_handle = install_hook();
    hook_installed.store(hook_handle != nullptr, std::memory_order_release);
  }
}

ExactHeap::~ExactHeap() {
  const std::lock_guard lock(hook_mutex);
  if (--hook_holders > 0 || hook_handle == nullptr) return;
  hook_installed.store(false, std::memory_order_release);
  // A hook that cannot be removed stays in place, counting for no one: harmless, so not an error.
  mallctl("experimental.hooks.remove", nullptr, nullptr, &hook_handle, sizeof hook_handle);
  hook_handle = nullptr;
}

void HeapMeter::start() noexcept {
  exact_ = false;
  if (auto* c = thread_counters()) {
    exact_ = true;
    start_held_ = c->held();
    c->peak_held = start_held_;
    start_allocations_ = c->allocations;
    start_allocated_ = *c->allocated;
    return;
  }
  if (mallctl != nullptr) mallctl("thread.peak.reset", nullptr, nullptr, nullptr, 0);
}

std::optional<std::uint64_t> HeapMeter::peak() const noexcept {
  if (exact_) {  // exact since start(), if the hook stayed in place since
    const auto* c = thread_counters();
    if (c == nullptr) return std::nullopt;
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, c->peak_held - start_held_));
  }
  if (mallctl == nullptr) return std::nullopt;
  std::uint64_t peak = 0;
  std::size_t size = sizeof peak;
  if (mallctl("thread.peak.read", &peak, &size, nullptr, 0) != 0) return std::nullopt;
  return peak;
}

std::optional<std::uint64_t> HeapMeter::allocations() const noexcept {
  const auto* c = exact_ ? thread_counters() : nullptr;
  if (c == nullptr) return std::nullopt;
  return c->allocations - start_allocations_;
}

std::optional<std::uint64_t> HeapMeter::bytes_allocated() const noexcept {
  const auto* c = exact_ ? thread_counters() : nullptr;
  if (c == nullptr) return std::nullopt;
  return *c->allocated - start_allocated_;
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
