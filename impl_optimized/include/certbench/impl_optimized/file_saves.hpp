#pragma once
#include <memory>

#include "certbench/impl_common/file_save_functions.hpp"

namespace boost::asio {
class io_context;
}

namespace certbench::impl_optimized {

/// The review's fix taken literally ("use aiofiles for async file operations"): the file
/// operations run on a thread pool (options().pool_threads threads, by default aiofiles' default
/// executor's min(32, cores + 4)); the checks and an image's base64 decode stay on the loop, as in
/// the naive save. The coroutine waits for the write without blocking the loop and resumes on it.
class AiofilesFileSaves final : public impl_common::FileSaveFunctions {
 public:
  /// Throws UsageError for invalid options.
  AiofilesFileSaves(std::filesystem::path dir, SaveOptions options);
  ~AiofilesFileSaves() override;  ///< waits for the pool's threads
  [[nodiscard]] std::string_view name() const noexcept override { return "aiofiles"; }

  boost::asio::awaitable<SavedFile> save_base64_image(std::string name, std::string payload) override;
  boost::asio::awaitable<SavedFile> save_certificate_file(std::string name, std::string bytes) override;

 private:
  struct Pool;
  std::unique_ptr<Pool> pool_;
  boost::asio::awaitable<SavedFile> write(std::string name, std::string bytes);
};

/// The best measured offloaded save: the blocking write runs on a thread pool (options().pool_threads
/// threads, as aiofiles'); an image's checks and decode run before it on a pool of their own
/// (options().decode_threads, the cores), handed from one pool to the other without the loop, so a
/// decode neither runs on the loop nor holds an I/O thread. Both pools are owned by this object.
/// The coroutine waits without blocking the loop and resumes on the loop when the file is saved.
class ThreadPoolFileSaves final : public impl_common::FileSaveFunctions {
 public:
  /// Throws UsageError for invalid options.
  ThreadPoolFileSaves(std::filesystem::path dir, SaveOptions options);
  ~ThreadPoolFileSaves() override;  ///< waits for the pool's threads
  [[nodiscard]] std::string_view name() const noexcept override { return "thread_pool"; }

  boost::asio::awaitable<SavedFile> save_base64_image(std::string name, std::string payload) override;
  boost::asio::awaitable<SavedFile> save_certificate_file(std::string name, std::string bytes) override;

 private:
  struct Pool;
  std::unique_ptr<Pool> pool_;
};

/// The write done by the kernel: every step of the atomic write protocol (open the directory,
/// check the target, create the temporary file, write, fsync, close, rename, remove on failure)
/// is an io_uring operation, and completions wake the loop through an eventfd registered with the
/// ring, which the loop watches like any socket. Nothing blocks the loop in a system call. An
/// image's checks and decode (CPU work, no I/O) run on a pool of their own
/// (options().decode_threads, owned by this object), never on the loop; a certificate file's
/// checks (its name and its size) stay on the loop.
class IoUringFileSaves final : public impl_common::FileSaveFunctions {
 public:
  /// Sets up a ring bound to `io`'s loop. Throws UsageError for invalid options, and
  /// EnvironmentError when io_uring or one of the operations it needs is not available.
  IoUringFileSaves(boost::asio::io_context& io, std::filesystem::path dir, SaveOptions options);
  ~IoUringFileSaves() override;  ///< waits for the decoding threads
  [[nodiscard]] std::string_view name() const noexcept override { return "io_uring"; }

  boost::asio::awaitable<SavedFile> save_base64_image(std::string name, std::string payload) override;
  boost::asio::awaitable<SavedFile> save_certificate_file(std::string name, std::string bytes) override;

 private:
  class Ring;
  struct DecodePool;
  std::unique_ptr<Ring> ring_;
  std::unique_ptr<DecodePool> decode_;
  boost::asio::awaitable<std::string> decode(std::string name, std::string payload);
  boost::asio::awaitable<SavedFile> write_atomically(std::string name, const std::string& bytes);
};

}  // namespace certbench::impl_optimized
