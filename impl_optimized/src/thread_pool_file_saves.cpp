#include "certbench/impl_optimized/file_saves.hpp"

#include <memory>

#include "certbench/impl_common/file_saves.hpp"
#include "certbench/impl_common/offload.hpp"

namespace asio = boost::asio;

namespace certbench::optimized {

// aiofiles' executor as it is: plain threads at the process's own priority. (They ran at nice +5
// until issue #10, which roughly halved the loop's lag p99 on two cores; aiofiles sets no priority,
// so that flattered the review's fix. Figures in docs/file-saves.md.)
struct ThreadPoolFileSaves::Pool {
  explicit Pool(unsigned count) : threads(count) {}
  asio::thread_pool threads;
};

ThreadPoolFileSaves::ThreadPoolFileSaves(std::filesystem::path dir, SaveOptions options)
    : FileSavePaths(std::move(dir), std::move(options)),
      pool_(std::make_unique<Pool>(this->options().pool_threads)) {}

ThreadPoolFileSaves::~ThreadPoolFileSaves() { pool_->threads.join(); }

// The naive implementation's work, unchanged, on the pool instead of the loop thread. These are
// plain functions returning the awaitable, not coroutines: GCC 12 frees the init-captures of a
// lambda made inside a coroutine's co_await expression twice.
asio::awaitable<SavedFile> ThreadPoolFileSaves::save_base64_image(std::string name, std::string payload) {
  return impl::offload(pool_->threads, [this, name = std::move(name), payload = std::move(payload)] {
    return impl::save_base64_image_blocking(directory(), name, payload, options());
  });
}

asio::awaitable<SavedFile> ThreadPoolFileSaves::save_certificate_file(std::string name, std::string bytes) {
  return impl::offload(pool_->threads, [this, name = std::move(name), bytes = std::move(bytes)] {
    return impl::save_certificate_file_blocking(directory(), name, bytes, options());
  });
}

}  // namespace certbench::optimized
