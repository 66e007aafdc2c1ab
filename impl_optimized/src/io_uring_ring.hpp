#pragma once
// The io_uring ring (liburing) the io_uring file saves run their operations on; internal to certbench_impl_optimized.
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <liburing.h>
#include <memory>
#include <span>
#include <vector>

#include "certbench/impl_optimized/file_saves.hpp"

namespace certbench::impl_optimized {

/// One io_uring whose completions wake the loop: the ring signals an eventfd on every completion
/// (io_uring_register_eventfd), and the loop waits on that eventfd like on any socket. Used from
/// the loop thread only.
class IoUringFileSaves::Ring {
 public:
  explicit Ring(boost::asio::io_context& io);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  /// Submits the operation `prepare` sets up on an SQE (a chain of one, without run_linked's
  /// vectors); completes with its result (cqe->res: >= 0, or -errno). What the operation points to
  /// must live until then.
  template <typename Prepare>
  boost::asio::awaitable<int> run(Prepare prepare);

  /// A result run_linked() reports for an operation that succeeded without a completion.
  static constexpr int kSucceeded = std::numeric_limits<int>::min();

  /// Submits the operations `steps` set up as one chain (IOSQE_IO_LINK): each starts when the one
  /// before it succeeded, and the first failure cancels the rest (-ECANCELED). Only the last one
  /// posts a completion when all succeed (IOSQE_CQE_SKIP_SUCCESS on the others), so the loop wakes
  /// once for the chain. Completes with one result per step: cqe->res, or kSucceeded for a step
  /// that succeeded silently. A short read or write counts as a failure: its count is its result.
  /// A chain the ring cannot take (no room, a failed submission) reads like one whose first step
  /// failed: that error first, -ECANCELED after it.
  boost::asio::awaitable<std::vector<int>> run_linked(std::vector<std::function<void(io_uring_sqe*)>> steps);

 private:
  // A coroutine waiting for the completions of one operation or of one chain; the CQE's user data
  // is the waiter's address with the step's index in its low bits.
  static constexpr std::uintptr_t kStepBits = 3;  // chains of up to 8 steps (waiters are 8-aligned)
  struct Waiter {
    explicit Waiter(std::size_t steps) : results(steps, kSucceeded) {}
    virtual ~Waiter() = default;
    /// Takes the one completion a chain posts (IORING_FEAT_CQE_SKIP, Linux 5.17): the last
    /// step's when every step before it succeeded silently, else the first failure's, and the
    /// steps after a failure are cancelled without a completion of their own.
    void take(std::size_t step, int result) {
      results[step] = result;
      for (std::size_t k = step + 1; k < results.size(); ++k) results[k] = -ECANCELED;
    }
    virtual void resume() = 0;
    std::vector<int> results;
  };
  static_assert(alignof(std::max_align_t) >= (1u << kStepBits), "the step index lives in a waiter's low bits");
  template <typename Handler, bool kOneResult>  // run() gets an int, run_linked() all of them
  struct WaiterFor final : Waiter {
    WaiterFor(Handler h, std::size_t steps) : Waiter(steps), handler(std::move(h)) {}
    void resume() override {
      if constexpr (kOneResult) handler(results.front());
      else handler(std::move(results));
    }
    Handler handler;
  };
  /// Takes `n` SQEs, has `prepare(k, sqe)` set up each, links them and submits them for `handler`;
  /// a chain the ring has no room for completes like one whose first step failed (-EBUSY).
  template <bool kOneResult, typename Handler, typename PrepareStep>
  void start(Handler handler, unsigned n, PrepareStep prepare);
  /// Takes `count` SQEs at once (submitting what is queued if the ring is short of them).
  bool reserve(unsigned count);
  void submit(std::unique_ptr<Waiter> waiter, std::span<io_uring_sqe* const> sqes);

  void watch();  // waits for the eventfd while operations are in flight
  void reap();   // completes every operation the ring has finished

  static constexpr unsigned kEntries = 256;
  io_uring ring_{};
  boost::asio::posix::stream_descriptor eventfd_;
  std::size_t in_flight_ = 0;
  bool watching_ = false;
};

template <bool kOneResult, typename Handler, typename PrepareStep>
void IoUringFileSaves::Ring::start(Handler handler, unsigned n, PrepareStep prepare) {
  if (n == 0 || n > (1u << kStepBits) || !reserve(n)) {
    // Like a chain whose first step failed: the caller's clean-up then runs every step itself.
    std::vector<int> refused(n, -ECANCELED);
    if (n > 0) refused.front() = -EBUSY;
    boost::asio::post(eventfd_.get_executor(), [h = std::move(handler), r = std::move(refused)]() mutable {
      if constexpr (kOneResult) h(r.empty() ? -EBUSY : r.front());
      else h(std::move(r));
    });
    return;
  }
  std::array<io_uring_sqe*, (1u << kStepBits)> sqes{};
  for (unsigned k = 0; k < n; ++k) {
    sqes[k] = io_uring_get_sqe(&ring_);
    prepare(k, sqes[k]);
    if (k + 1 < n) sqes[k]->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
  }
  submit(std::make_unique<WaiterFor<Handler, kOneResult>>(std::move(handler), n), std::span(sqes.data(), n));
}

template <typename Prepare>
boost::asio::awaitable<int> IoUringFileSaves::Ring::run(Prepare prepare) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(int)>(
      [this](auto handler, Prepare prep) {
        start<true>(std::move(handler), 1, [&prep](unsigned, io_uring_sqe* sqe) { prep(sqe); });
      },
      boost::asio::use_awaitable, std::move(prepare));
}

}  // namespace certbench::impl_optimized
