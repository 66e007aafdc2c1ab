#include "certbench/impl_optimized/file_saves.hpp"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <cstddef>
#include <functional>
#include <fcntl.h>
#include <liburing.h>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <utility>
#include <vector>

#include "certbench/impl_common/file_saves.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/impl_common/offload.hpp"
#include "io_uring_ring.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace certbench::impl_optimized {

// The decode and the checks are CPU work without I/O: on the loop they held it for the length of
// the decode (an image's lag p99 7-9 ms at 64 concurrent on two busy cores), so they
// run on threads of their own, as many as the cores, and the loop only submits and reaps.
struct IoUringFileSaves::DecodePool {
  explicit DecodePool(unsigned count) : threads(count) {}
  asio::thread_pool threads;
};

IoUringFileSaves::IoUringFileSaves(asio::io_context& io, fs::path dir, SaveOptions options)
    : impl_common::FileSaveFunctions(std::move(dir), std::move(options)),
      ring_(std::make_unique<Ring>(io)),
      decode_(std::make_unique<DecodePool>(this->options().decode_threads)) {}

IoUringFileSaves::~IoUringFileSaves() { decode_->threads.join(); }

// A plain function returning the awaitable: GCC 12 frees the init-captures of a lambda made
// inside a coroutine's co_await expression twice.
asio::awaitable<std::string> IoUringFileSaves::decode(std::string name, std::string payload) {
  return impl_common::offload(decode_->threads, [this, name = std::move(name), payload = std::move(payload)] {
    return impl_common::checked_image_bytes(name, payload, options());
  });
}

asio::awaitable<SavedFile> IoUringFileSaves::save_base64_image(std::string name, std::string payload) {
  const std::string bytes = co_await decode(name, std::move(payload));
  co_return co_await write_atomically(std::move(name), bytes);
}

// A certificate file's checks are a name's and a size's, no pass over the bytes: they stay here.
asio::awaitable<SavedFile> IoUringFileSaves::save_certificate_file(std::string name, std::string bytes) {
  impl_common::check_certificate_file(name, bytes, options());
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

}  // namespace certbench::impl_optimized
