#include "certbench/impl_optimized/file_saves.hpp"

#include <memory>

#include "certbench/impl_common/file_saves.hpp"
#include "certbench/impl_common/offload.hpp"

namespace asio = boost::asio;

namespace certbench::impl_optimized {

// The I/O pool is aiofiles' executor as it is: plain threads at the process's own priority (aiofiles
// sets none; a lower priority for the pool would halve the loop's lag p99 on two cores and flatter
// the review's fix).
//
// An image's decode runs on threads of its own, as many as the cores: on the I/O
// threads it held one of the six for the length of the decode, and on two busy cores that
// decode waited for a core, while the disk had one write fewer in flight. That cost the image
// path 10-40% of the disk's ceiling where the PDF path, with no decode, reached it
// (docs/file-saves.md, "Where the time goes at 64 concurrent").
struct ThreadPoolFileSaves::Pool {
  Pool(unsigned io_threads, unsigned decode_threads) : io(io_threads), decode(decode_threads) {}
  asio::thread_pool io;
  asio::thread_pool decode;
};

ThreadPoolFileSaves::ThreadPoolFileSaves(std::filesystem::path dir, SaveOptions options)
    : impl_common::FileSaveFunctions(std::move(dir), std::move(options)),
      pool_(std::make_unique<Pool>(this->options().pool_threads, this->options().decode_threads)) {}

ThreadPoolFileSaves::~ThreadPoolFileSaves() {
  pool_->decode.join();
  pool_->io.join();
}

// The naive implementation's work, unchanged, off the loop: the checks and the decode on the
// decoding threads, the atomic write on the I/O threads. These are plain functions returning the
// awaitable, not coroutines: GCC 12 frees the init-captures of a lambda made inside a coroutine's
// co_await expression twice.
asio::awaitable<SavedFile> ThreadPoolFileSaves::save_base64_image(std::string name, std::string payload) {
  std::string target = name;  // each stage has its own copy: argument evaluation order is unspecified
  return impl_common::offload_then(
      pool_->decode,
      [this, name = std::move(name), payload = std::move(payload)] {
        return impl_common::checked_image_bytes(name, payload, options());
      },
      pool_->io,
      [this, name = std::move(target)](std::string bytes) {
        return impl_common::write_file_atomically(directory(), name, bytes, options().fsync);
      });
}

asio::awaitable<SavedFile> ThreadPoolFileSaves::save_certificate_file(std::string name, std::string bytes) {
  return impl_common::offload(pool_->io, [this, name = std::move(name), bytes = std::move(bytes)] {
    return impl_common::save_certificate_file_blocking(directory(), name, bytes, options());
  });
}

}  // namespace certbench::impl_optimized
