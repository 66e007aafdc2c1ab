#include "certbench/impl_optimized/file_saves.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <fcntl.h>
#include <liburing.h>
#include <memory>
#include <optional>
#include <span>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/impl_common/offload.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace certbench::optimized {

/// One io_uring whose completions wake the loop: the ring signals an eventfd on every completion
/// (io_uring_register_eventfd), and the loop waits on that eventfd like on any socket. Used from
/// the loop thread only.
class IoUringFileSaves::Ring {
 public:
  explicit Ring(asio::io_context& io);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  /// Submits the operation `prepare` sets up on an SQE (a chain of one, without run_linked's
  /// vectors); completes with its result (cqe->res: >= 0, or -errno). What the operation points to
  /// must live until then.
  template <typename Prepare>
  asio::awaitable<int> run(Prepare prepare);

  /// A result run_linked() reports for an operation that succeeded without a completion.
  static constexpr int kSucceeded = std::numeric_limits<int>::min();

  /// Submits the operations `steps` set up as one chain (IOSQE_IO_LINK): each starts when the one
  /// before it succeeded, and the first failure cancels the rest (-ECANCELED). Only the last one
  /// posts a completion when all succeed (IOSQE_CQE_SKIP_SUCCESS on the others), so the loop wakes
  /// once for the chain. Completes with one result per step: cqe->res, or kSucceeded for a step
  /// that succeeded silently. A short read or write counts as a failure: its count is its result.
  /// A chain the ring cannot take (no room, a failed submission) reads like one whose first step
  /// failed: that error first, -ECANCELED after it.
  asio::awaitable<std::vector<int>> run_linked(std::vector<std::function<void(io_uring_sqe*)>> steps);

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
  asio::posix::stream_descriptor eventfd_;
  std::size_t in_flight_ = 0;
  bool watching_ = false;
};

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

template <bool kOneResult, typename Handler, typename PrepareStep>
void IoUringFileSaves::Ring::start(Handler handler, unsigned n, PrepareStep prepare) {
  if (n == 0 || n > (1u << kStepBits) || !reserve(n)) {
    // Like a chain whose first step failed: the caller's clean-up then runs every step itself.
    std::vector<int> refused(n, -ECANCELED);
    if (n > 0) refused.front() = -EBUSY;
    asio::post(eventfd_.get_executor(), [h = std::move(handler), r = std::move(refused)]() mutable {
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
asio::awaitable<int> IoUringFileSaves::Ring::run(Prepare prepare) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(int)>(
      [this](auto handler, Prepare prep) {
        start<true>(std::move(handler), 1, [&prep](unsigned, io_uring_sqe* sqe) { prep(sqe); });
      },
      asio::use_awaitable, std::move(prepare));
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

// The decode and the checks are CPU work without I/O: on the loop they held it for the length of
// the decode (an image's lag p99 7-9 ms at 64 concurrent on two busy cores), so they
// run on threads of their own, as many as the cores, and the loop only submits and reaps.
struct IoUringFileSaves::DecodePool {
  explicit DecodePool(unsigned count) : threads(count) {}
  asio::thread_pool threads;
};

IoUringFileSaves::IoUringFileSaves(asio::io_context& io, fs::path dir, SaveOptions options)
    : FileSavePaths(std::move(dir), std::move(options)),
      ring_(std::make_unique<Ring>(io)),
      decode_(std::make_unique<DecodePool>(this->options().decode_threads)) {}

IoUringFileSaves::~IoUringFileSaves() { decode_->threads.join(); }

// A plain function returning the awaitable: GCC 12 frees the init-captures of a lambda made
// inside a coroutine's co_await expression twice.
asio::awaitable<std::string> IoUringFileSaves::decode(std::string name, std::string payload) {
  return impl::offload(decode_->threads, [this, name = std::move(name), payload = std::move(payload)] {
    return impl::checked_image_bytes(name, payload, options());
  });
}

asio::awaitable<SavedFile> IoUringFileSaves::save_base64_image(std::string name, std::string payload) {
  const std::string bytes = co_await decode(name, std::move(payload));
  co_return co_await write_atomically(std::move(name), bytes);
}

// A certificate file's checks are a name's and a size's, no pass over the bytes: they stay here.
asio::awaitable<SavedFile> IoUringFileSaves::save_certificate_file(std::string name, std::string bytes) {
  impl::check_certificate_file(name, bytes, options());
  co_return co_await write_atomically(std::move(name), bytes);
}

// sys::write_file_atomic with refuse_links (sys/atomic_file.hpp), step for step, each step an io_uring operation. A coroutine cannot
// co_await in a catch block, so failures are collected and the clean-up runs before the throw.
asio::awaitable<SavedFile> IoUringFileSaves::write_atomically(std::string name, const std::string& bytes) {
  Ring& ring = *ring_;
  const fs::path& dir = directory();
  const bool fsync = options().fsync;

  const std::string dir_path = dir.string();
  const int dir_fd = co_await ring.run([&](io_uring_sqe* sqe) {
    io_uring_prep_openat(sqe, AT_FDCWD, dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
  });
  if (dir_fd < 0) sys::throw_directory_error(dir, -dir_fd);

  struct Failure {
    std::string step;
    int err = 0;
  };
  std::optional<Failure> failure;
  std::optional<unsigned> not_regular;  // the target's mode, when it exists and is not a regular file

  struct statx target {};
  if (const int r = co_await ring.run([&](io_uring_sqe* sqe) {
        io_uring_prep_statx(sqe, dir_fd, name.c_str(), AT_SYMLINK_NOFOLLOW, STATX_TYPE, &target);
      });
      r == 0 && !S_ISREG(target.stx_mode))
    not_regular = target.stx_mode;
  else if (r < 0 && r != -ENOENT)
    failure = Failure{"stat", -r};

  std::string tmp;
  int fd = -1;
  bool temporary_exists = false;
  if (!failure && !not_regular) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      tmp = sys::temporary_name(name);
      fd = co_await ring.run([&](io_uring_sqe* sqe) {
        io_uring_prep_openat(sqe, dir_fd, tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666);
      });
      if (fd != -EEXIST) break;
    }
    if (fd < 0) failure = Failure{"creating a temporary file", -fd};
    temporary_exists = fd >= 0;
  }

  // The write, its fsync and the close go as one chain, and so do the rename, the directory's
  // fsync and its close: the loop wakes twice for the six steps when all goes well, not six times
  // (the loop's lag). A failure, or a short write (a full disk, a signal), cancels the
  // rest of its chain; the file or the directory is still open then, and the steps go on one at a
  // time below.
  constexpr std::size_t kMaxWrite = 1u << 30;
  std::size_t done = 0;
  bool synced = !fsync;
  bool closed = false;
  if (fd >= 0 && !failure && bytes.size() <= kMaxWrite) {
    std::vector<std::function<void(io_uring_sqe*)>> chain;
    if (!bytes.empty())
      chain.emplace_back([&](io_uring_sqe* sqe) {
        io_uring_prep_write(sqe, fd, bytes.data(), static_cast<unsigned>(bytes.size()), 0);
      });
    if (fsync) chain.emplace_back([&](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, fd, 0); });
    chain.emplace_back([&](io_uring_sqe* sqe) { io_uring_prep_close(sqe, fd); });
    const std::vector<int> r = co_await ring.run_linked(std::move(chain));
    std::size_t step = 0;
    if (!bytes.empty()) {
      const int wrote = r[step++];
      if (wrote == Ring::kSucceeded) done = bytes.size();
      else if (wrote > 0) done = static_cast<std::size_t>(wrote);  // short: the rest below
      else if (wrote < 0 && wrote != -EINTR && wrote != -EAGAIN) failure = Failure{"write", -wrote};
    }
    if (fsync) {
      const int synced_r = r[step++];
      if (synced_r == Ring::kSucceeded || synced_r >= 0) synced = true;
      else if (synced_r != -ECANCELED && !failure) failure = Failure{"fsync", -synced_r};
    }
    if (const int closed_r = r[step]; closed_r != -ECANCELED) {
      closed = true;  // on Linux the descriptor is gone even when close fails
      if (closed_r < 0 && closed_r != -EINTR && !failure) failure = Failure{"close", -closed_r};
    }
  }
  while (fd >= 0 && !closed && !failure && done < bytes.size()) {
    const auto chunk = static_cast<unsigned>(std::min(kMaxWrite, bytes.size() - done));
    const int r = co_await ring.run(
        [&](io_uring_sqe* sqe) { io_uring_prep_write(sqe, fd, bytes.data() + done, chunk, done); });
    if (r == -EINTR || r == -EAGAIN) continue;
    if (r < 0) failure = Failure{"write", -r};
    else if (r == 0) failure = Failure{"write", EIO};  // no progress on a regular file: never loop forever
    else done += static_cast<std::size_t>(r);
  }
  if (fd >= 0 && !closed && !failure && !synced) {
    if (const int r = co_await ring.run([&](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, fd, 0); }); r < 0)
      failure = Failure{"fsync", -r};
  }
  if (fd >= 0 && !closed) {
    const int r = co_await ring.run([&](io_uring_sqe* sqe) { io_uring_prep_close(sqe, fd); });
    if (r < 0 && r != -EINTR && !failure) failure = Failure{"close", -r};
  }
  bool dir_closed = false;
  if (temporary_exists && !failure) {
    std::vector<std::function<void(io_uring_sqe*)>> chain;
    chain.emplace_back([&](io_uring_sqe* sqe) {
      io_uring_prep_renameat(sqe, dir_fd, tmp.c_str(), dir_fd, name.c_str(), 0);
    });
    if (fsync) chain.emplace_back([&](io_uring_sqe* sqe) { io_uring_prep_fsync(sqe, dir_fd, 0); });
    chain.emplace_back([&](io_uring_sqe* sqe) { io_uring_prep_close(sqe, dir_fd); });
    const std::vector<int> r = co_await ring.run_linked(std::move(chain));
    if (r[0] == Ring::kSucceeded || r[0] >= 0) temporary_exists = false;
    else failure = Failure{"rename", -r[0]};
    // The file is in place now; only its durability can still fail.
    if (fsync && r[1] != Ring::kSucceeded && r[1] < 0 && r[1] != -ECANCELED && !failure)
      failure = Failure{"fsync of the directory", -r[1]};
    dir_closed = r.back() != -ECANCELED;
  }
  if (temporary_exists)
    co_await ring.run([&](io_uring_sqe* sqe) { io_uring_prep_unlinkat(sqe, dir_fd, tmp.c_str(), 0); });
  if (!dir_closed) co_await ring.run([&](io_uring_sqe* sqe) { io_uring_prep_close(sqe, dir_fd); });

  if (not_regular) sys::throw_not_regular_target(dir / name, *not_regular);
  if (failure) sys::throw_write_error(dir / name, failure->step, failure->err);
  co_return SavedFile{dir / name, bytes.size()};
}

}  // namespace certbench::optimized
