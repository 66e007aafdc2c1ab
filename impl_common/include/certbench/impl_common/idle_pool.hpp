#pragma once
// Objects that threads take turns with — database sessions of a thread pool: take() hands out an
// idle one and the lease puts it back, also when the work throws. The pool measures its own use:
// how many objects were held at once, for how long in all, and how long each taker waited for one
// since it asked (PoolUsage) — the connection-pool figures of a server's monitoring. Each wait is
// kept, so only once a measurement asks for them (the first reset_usage()): a pool nobody measures,
// a server's that answers for days, keeps none.
//
// Thread safety: every member may be called from any thread.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace certbench::impl_common {

/// What a pool's takers saw since the last reset_usage() (waits: none before the first).
struct PoolUsage {
  unsigned size = 0;                  ///< objects the pool holds
  unsigned max_in_use = 0;            ///< the most held at once
  double held_seconds = 0;            ///< every lease's duration, summed (÷ a window = mean in use)
  std::vector<double> waits_seconds;  ///< per take(asked): from asking to holding the object
};

template <class T>
class IdlePool {
 public:
  using Clock = std::chrono::steady_clock;

  void add(T item) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(item));
    ++usage_.size;
  }

  class Lease {
   public:
    Lease(IdlePool& pool, T item) : pool_(pool), item_(std::move(item)), since_(Clock::now()) {}
    ~Lease() { pool_.put_back(std::move(item_), since_, discarded_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    T& operator*() noexcept { return item_; }
    T* operator->() noexcept { return &item_; }
    /// The object is not given back: the pool drops it when the lease ends (a session whose
    /// connection broke), and the next take_or_make() makes a new one in its place.
    void discard() noexcept { discarded_ = true; }

   private:
    IdlePool& pool_;
    T item_;
    Clock::time_point since_;
    bool discarded_ = false;
  };

  /// An idle object. The pool must hold one: give it as many as there are threads taking them, and
  /// take with take_or_make() from a pool whose leases may be discarded.
  /// `asked`: when the caller began waiting for it (before queueing for a pool thread, say); the
  /// wait from then is recorded.
  Lease take(std::optional<Clock::time_point> asked = std::nullopt) {
    std::lock_guard lock(mutex_);
    T item = std::move(idle_.back());
    idle_.pop_back();
    held(asked);
    return Lease(*this, std::move(item));
  }

  /// An idle object, or — when none is idle — a new one from `make()` (called without the pool's
  /// lock; it may connect somewhere), which joins the pool when its lease ends. If `make` throws,
  /// nothing changes. `asked`: as for take().
  template <class Make>
  Lease take_or_make(Make&& make, std::optional<Clock::time_point> asked = std::nullopt) {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        T item = std::move(idle_.back());
        idle_.pop_back();
        held(asked);
        return Lease(*this, std::move(item));
      }
    }
    T item = make();
    std::lock_guard lock(mutex_);
    ++usage_.size;
    held(asked);
    return Lease(*this, std::move(item));
  }

  PoolUsage usage() const {
    std::lock_guard lock(mutex_);
    return usage_;
  }

  /// Starts the figures afresh (after a warm-up, say), and the keeping of each taker's wait; objects
  /// held now count from now.
  void reset_usage() {
    std::lock_guard lock(mutex_);
    measured_ = true;
    usage_.max_in_use = in_use_;
    usage_.held_seconds = 0;
    usage_.waits_seconds.clear();
    reset_at_ = Clock::now();
  }

 private:
  // Under the lock: one more object in use, and the wait of its taker.
  void held(std::optional<Clock::time_point> asked) {
    ++in_use_;
    usage_.max_in_use = std::max(usage_.max_in_use, in_use_);
    if (asked && measured_) usage_.waits_seconds.push_back(std::chrono::duration<double>(Clock::now() - *asked).count());
  }

  void put_back(T item, Clock::time_point since, bool discarded) {
    std::lock_guard lock(mutex_);  // a discarded item is destroyed after it, on return
    if (discarded)
      --usage_.size;
    else
      idle_.push_back(std::move(item));
    --in_use_;
    usage_.held_seconds += std::chrono::duration<double>(Clock::now() - std::max(since, reset_at_)).count();
  }

  mutable std::mutex mutex_;
  std::vector<T> idle_;
  unsigned in_use_ = 0;
  PoolUsage usage_;
  Clock::time_point reset_at_{};
  bool measured_ = false;  // since the first reset_usage(): waits are kept
};

}  // namespace certbench::impl_common
