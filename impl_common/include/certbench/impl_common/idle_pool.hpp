#pragma once
// Objects that threads take turns with — database sessions of a thread pool: take() hands out an
// idle one and the lease puts it back, also when the work throws.
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace certbench::impl {

template <class T>
class IdlePool {
 public:
  void add(T item) {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(item));
  }

  class Lease {
   public:
    Lease(IdlePool& pool, T item) : pool_(pool), item_(std::move(item)) {}
    ~Lease() { pool_.add(std::move(item_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    T& operator*() noexcept { return item_; }
    T* operator->() noexcept { return &item_; }

   private:
    IdlePool& pool_;
    T item_;
  };

  /// An idle object. The pool must hold one: give it as many as there are threads taking them.
  Lease take() {
    std::lock_guard lock(mutex_);
    T item = std::move(idle_.back());
    idle_.pop_back();
    return Lease(*this, std::move(item));
  }

 private:
  std::mutex mutex_;
  std::vector<T> idle_;
};

}  // namespace certbench::impl
