#pragma once
// The in-process cache of the review's fix for problem 6 ("implement … in-memory caching for
// templates"), made safe to use: a bounded size, a time to live, explicit invalidation, and no
// stampede — many threads missing on one key cause one load, which they all share.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace certbench::impl_optimized {

/// Collapses concurrent loads of one key into one ("single flight"): the first caller loads, the
/// callers that arrive while it runs wait for its result. forget(key) detaches the running load:
/// later callers start a new one, and the detached one does not publish.
template <class Key, class Value, class Hash = std::hash<Key>>
class SingleFlight {
 public:
  struct Outcome {
    Value value;
    bool shared = false;  ///< another thread's load answered this call
  };

  /// `load()` returns the value; `publish(value)` is then called by the loading thread, unless
  /// forget(key) came first — and a forget(key) that comes during publish waits for it to end, so
  /// whatever the caller of forget removes afterwards (a cache entry) stays removed. An exception
  /// from load reaches every caller of this flight.
  template <class Load, class Publish>
  Outcome run(const Key& key, Load&& load, Publish&& publish) {
    std::unique_lock lock(mutex_);
    if (auto it = flights_.find(key); it != flights_.end()) {
      auto result = it->second->result;
      ++joined_;
      lock.unlock();
      return {result.get(), true};
    }
    auto flight = std::make_shared<Flight>();
    std::promise<Value> promise;
    flight->result = promise.get_future().share();
    flights_.emplace(key, flight);
    lock.unlock();
    try {
      Value value = load();
      {
        std::lock_guard publishing(flight->mutex);
        if (!flight->detached) publish(value);
      }
      finish(key, flight);
      promise.set_value(value);
      return {std::move(value), false};
    } catch (...) {
      finish(key, flight);
      promise.set_exception(std::current_exception());
      throw;
    }
  }

  void forget(const Key& key) {
    std::shared_ptr<Flight> flight;
    {
      std::lock_guard lock(mutex_);
      auto it = flights_.find(key);
      if (it == flights_.end()) return;
      flight = std::move(it->second);
      flights_.erase(it);
    }
    std::lock_guard publishing(flight->mutex);
    flight->detached = true;
  }

  /// Calls that joined another caller's load so far (counted when they join, before they wait).
  [[nodiscard]] std::uint64_t joined() const {
    std::lock_guard lock(mutex_);
    return joined_;
  }

  /// Detaches every running load (as forget does for one key).
  void forget_all() {
    std::unordered_map<Key, std::shared_ptr<Flight>, Hash> all;
    {
      std::lock_guard lock(mutex_);
      all.swap(flights_);
    }
    for (auto& [key, flight] : all) {
      std::lock_guard publishing(flight->mutex);
      flight->detached = true;
    }
  }

 private:
  struct Flight {
    std::shared_future<Value> result;
    std::mutex mutex;  // held while publishing
    bool detached = false;
  };

  void finish(const Key& key, const std::shared_ptr<Flight>& flight) {
    std::lock_guard lock(mutex_);
    if (auto it = flights_.find(key); it != flights_.end() && it->second == flight) flights_.erase(it);
  }

  mutable std::mutex mutex_;
  std::unordered_map<Key, std::shared_ptr<Flight>, Hash> flights_;
  std::uint64_t joined_ = 0;
};

struct CacheOptions {
  using Clock = std::chrono::steady_clock;
  std::size_t capacity = 100'000;          ///< entries; the oldest goes first when full (0: cache nothing)
  std::chrono::milliseconds ttl{60'000};   ///< an entry older than this is loaded again
  Clock::time_point (*now)() = &Clock::now;  ///< the clock (tests advance their own)
};

struct CacheCounters {
  std::uint64_t hits = 0, misses = 0, loads = 0, evictions = 0;
  std::uint64_t waits = 0;  ///< misses that joined another thread's load (counted as they join)
};

/// A bounded cache with a time to live, in front of a loader. Values are shared immutable
/// snapshots (std::shared_ptr<const Value>); a null value means "not found" and is not cached.
/// Eviction is first in, first out: a hit never writes, so reads stay cheap; with a TTL every
/// entry is replaced regularly anyway. Thread-safe.
template <class Key, class Value, class Hash = std::hash<Key>>
class TtlCache {
 public:
  using Ref = std::shared_ptr<const Value>;

  explicit TtlCache(CacheOptions options = {}) : options_(options) {}

  /// The fresh cached value of `key`, else `load()`'s — one load however many threads miss on
  /// `key` at once. An exception from `load` reaches the callers; nothing is cached then.
  template <class Load>
  Ref get(const Key& key, Load&& load) {
    {
      std::lock_guard lock(mutex_);
      if (auto it = entries_.find(key); it != entries_.end() && options_.now() < it->second.expires) {
        ++counters_.hits;
        return it->second.value;
      }
      ++counters_.misses;
    }
    auto outcome = flights_.run(
        key,
        [&] {
          count(&CacheCounters::loads);
          return Ref(load());
        },
        [&](const Ref& value) {
          if (value) store(key, value);
        });
    return std::move(outcome.value);
  }

  /// Removes `key`: the next get loads it again, and a load of it under way is not stored.
  void invalidate(const Key& key) {
    flights_.forget(key);  // first: a load that is publishing right now finishes before the erase
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      order_.erase(it->second.position);
      entries_.erase(it);
    }
  }

  void clear() {
    flights_.forget_all();
    std::lock_guard lock(mutex_);
    entries_.clear();
    order_.clear();
  }

  [[nodiscard]] CacheCounters counters() const {
    const auto waits = flights_.joined();
    std::lock_guard lock(mutex_);
    auto c = counters_;
    c.waits = waits;
    return c;
  }
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }

 private:
  struct Entry {
    Ref value;
    CacheOptions::Clock::time_point expires;
    typename std::list<Key>::iterator position;  // in order_
  };

  void store(const Key& key, const Ref& value) {
    std::lock_guard lock(mutex_);
    if (options_.capacity == 0) return;
    const auto expires = options_.now() + options_.ttl;
    if (auto it = entries_.find(key); it != entries_.end()) {
      it->second.value = value;
      it->second.expires = expires;
      order_.splice(order_.end(), order_, it->second.position);
      return;
    }
    if (entries_.size() >= options_.capacity) {
      entries_.erase(order_.front());
      order_.pop_front();
      ++counters_.evictions;
    }
    order_.push_back(key);
    entries_.emplace(key, Entry{value, expires, std::prev(order_.end())});
  }

  void count(std::uint64_t CacheCounters::*counter) {
    std::lock_guard lock(mutex_);
    ++(counters_.*counter);
  }

  CacheOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, Entry, Hash> entries_;
  std::list<Key> order_;  // insertion order, oldest first
  CacheCounters counters_;
  SingleFlight<Key, Ref, Hash> flights_;
};

}  // namespace certbench::impl_optimized
