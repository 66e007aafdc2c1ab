// The io_uring ring of the io_uring file saves: its set-up, submissions and completions.
#include "io_uring_ring.hpp"

#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <sys/eventfd.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "certbench/core/errors.hpp"

namespace asio = boost::asio;

namespace certbench::impl_optimized {

IoUringFileSaves::Ring::Ring(asio::io_context& io) : eventfd_(io) {
  if (const int r = io_uring_queue_init(kEntries, &ring_, 0); r < 0)
    throw EnvironmentError(std::string("io_uring is not available: ") + std::strerror(-r) +
                           " (disabled by kernel.io_uring_disabled or a seccomp filter?)");
  int efd = -1;
  try {
    // Every operation of the atomic write protocol; the kernel here is new enough for all of them
    // (5.11+), but a kernel or a filter may deny some.
    constexpr std::array<std::pair<int, const char*>, 7> kNeeded{{{IORING_OP_OPENAT, "openat"},
                                                                  {IORING_OP_STATX, "statx"},
                                                                  {IORING_OP_WRITE, "write"},
                                                                  {IORING_OP_FSYNC, "fsync"},
                                                                  {IORING_OP_CLOSE, "close"},
                                                                  {IORING_OP_RENAMEAT, "renameat"},
                                                                  {IORING_OP_UNLINKAT, "unlinkat"}}};
    std::unique_ptr<io_uring_probe, decltype(&io_uring_free_probe)> probe(io_uring_get_probe_ring(&ring_),
                                                                         &io_uring_free_probe);
    if (!probe) throw EnvironmentError("io_uring is not available: the kernel cannot list its operations");
    for (const auto& [op, op_name] : kNeeded)
      if (!io_uring_opcode_supported(probe.get(), op))
        throw EnvironmentError(std::string("io_uring is not available: the kernel lacks its ") + op_name +
                               " operation");
    if ((ring_.features & IORING_FEAT_CQE_SKIP) == 0)
      throw EnvironmentError("io_uring is not available: the kernel cannot skip completions (5.17+)");
    efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0) throw EnvironmentError(std::string("cannot create an eventfd: ") + std::strerror(errno));
    if (const int r = io_uring_register_eventfd(&ring_, efd); r < 0)
      throw EnvironmentError(std::string("cannot register an eventfd with io_uring: ") + std::strerror(-r));
    eventfd_.assign(efd);
  } catch (...) {
    if (efd >= 0 && !eventfd_.is_open()) ::close(efd);
    io_uring_queue_exit(&ring_);
    throw;
  }
}

IoUringFileSaves::Ring::~Ring() {
  // The contract says no save is in flight now. Should one be, the kernel may still write into
  // its buffers: wait for it, then drop the waiters without resuming their coroutines.
  io_uring_cqe* cqe = nullptr;
  while (in_flight_ > 0 && io_uring_wait_cqe(&ring_, &cqe) == 0) {
    const auto data = reinterpret_cast<std::uintptr_t>(io_uring_cqe_get_data(cqe));
    if (auto* waiter = reinterpret_cast<Waiter*>(data & ~((std::uintptr_t{1} << kStepBits) - 1))) {
      delete waiter;
      --in_flight_;
    }
    io_uring_cqe_seen(&ring_, cqe);
  }
  io_uring_unregister_eventfd(&ring_);
  io_uring_queue_exit(&ring_);
}

bool IoUringFileSaves::Ring::reserve(unsigned count) {
  if (io_uring_sq_space_left(&ring_) < count) io_uring_submit(&ring_);  // the queue is full: hand it over
  return io_uring_sq_space_left(&ring_) >= count;
}

void IoUringFileSaves::Ring::submit(std::unique_ptr<Waiter> waiter, std::span<io_uring_sqe* const> sqes) {
  for (std::size_t k = 0; k < sqes.size(); ++k)
    io_uring_sqe_set_data(sqes[k], reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(waiter.get()) | k));
  int submitted = 0;
  do submitted = io_uring_submit(&ring_);
  while (submitted == -EINTR);
  if (submitted < 0) {
    // The SQEs stay queued and go with the next submission: make them no-ops no one waits for,
    // and fail the operations now.
    for (io_uring_sqe* sqe : sqes) {
      io_uring_prep_nop(sqe);
      io_uring_sqe_set_data(sqe, nullptr);
    }
    waiter->take(0, submitted);  // like a chain whose first step failed: the rest never ran
    asio::post(eventfd_.get_executor(), [w = std::move(waiter)]() { w->resume(); });
    return;
  }
  waiter.release();  // reap() owns it from now on
  ++in_flight_;
  watch();
}

asio::awaitable<std::vector<int>> IoUringFileSaves::Ring::run_linked(
    std::vector<std::function<void(io_uring_sqe*)>> steps) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::vector<int>)>(
      [this](auto handler, std::vector<std::function<void(io_uring_sqe*)>> chain) {
        start<false>(std::move(handler), static_cast<unsigned>(chain.size()),
                     [&chain](unsigned k, io_uring_sqe* sqe) { chain[k](sqe); });
      },
      asio::use_awaitable, std::move(steps));
}

void IoUringFileSaves::Ring::watch() {
  if (watching_ || in_flight_ == 0) return;
  watching_ = true;
  eventfd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // the ring is gone
    watching_ = false;
    reap();
    watch();
  });
}

void IoUringFileSaves::Ring::reap() {
  // Reset the eventfd before looking at the completion queue: a completion after this read makes
  // it readable again, so none is missed.
  std::uint64_t signalled = 0;
  while (::read(eventfd_.native_handle(), &signalled, sizeof signalled) < 0 && errno == EINTR) {
  }
  std::vector<Waiter*> done;
  io_uring_cqe* cqe = nullptr;
  while (io_uring_peek_cqe(&ring_, &cqe) == 0) {
    const auto data = reinterpret_cast<std::uintptr_t>(io_uring_cqe_get_data(cqe));
    if (auto* waiter = reinterpret_cast<Waiter*>(data & ~((std::uintptr_t{1} << kStepBits) - 1))) {
      waiter->take(data & ((std::uintptr_t{1} << kStepBits) - 1), cqe->res);
      done.push_back(waiter);
    }
    io_uring_cqe_seen(&ring_, cqe);
  }
  if (io_uring_sq_ready(&ring_) > 0) io_uring_submit(&ring_);  // left queued by a failed submission
  in_flight_ -= done.size();
  // Resume the coroutines only now: they may submit new operations.
  for (Waiter* waiter : done) std::unique_ptr<Waiter>(waiter)->resume();
}

}  // namespace certbench::impl_optimized
