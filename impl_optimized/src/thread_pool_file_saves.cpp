#include "certbench/impl_optimized/file_saves.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>

#include "certbench/impl_common/file_saves.hpp"

namespace asio = boost::asio;

namespace certbench::optimized {

struct ThreadPoolFileSaves::Pool {
  explicit Pool(unsigned count) : threads(count) {}
  asio::thread_pool threads;
};

namespace {

// Runs `work` on `pool` and completes the awaiting coroutine on its own executor (the loop) with
// the result or the exception — what aiofiles does with run_in_executor. The loop counts the job
// as outstanding work, so that its run() does not return while a file is being saved.
template <typename Work>
asio::awaitable<SavedFile> offload(asio::thread_pool& pool, Work work) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, SavedFile)>(
      [&pool](auto handler, Work job) {
        auto loop = asio::prefer(asio::get_associated_executor(handler),
                                 asio::execution::outstanding_work.tracked);
        asio::post(pool, [handler = std::move(handler), job = std::move(job), loop]() mutable {
          std::exception_ptr error;
          SavedFile saved;
          try {
            saved = job();
          } catch (...) {
            error = std::current_exception();
          }
          asio::post(loop, [handler = std::move(handler), error, saved = std::move(saved)]() mutable {
            handler(error, std::move(saved));
          });
        });
      },
      asio::use_awaitable, std::move(work));
}

}  // namespace

ThreadPoolFileSaves::ThreadPoolFileSaves(std::filesystem::path dir, SaveOptions options)
    : FileSavePaths(std::move(dir), std::move(options)),
      pool_(std::make_unique<Pool>(this->options().pool_threads)) {}

ThreadPoolFileSaves::~ThreadPoolFileSaves() { pool_->threads.join(); }

// The naive implementation's work, unchanged, on the pool instead of the loop thread. These are
// plain functions returning the awaitable, not coroutines: GCC 12 frees the init-captures of a
// lambda made inside a coroutine's co_await expression twice.
asio::awaitable<SavedFile> ThreadPoolFileSaves::save_base64_image(std::string name, std::string payload) {
  return offload(pool_->threads, [this, name = std::move(name), payload = std::move(payload)] {
    return impl::save_base64_image_blocking(directory(), name, payload, options());
  });
}

asio::awaitable<SavedFile> ThreadPoolFileSaves::save_certificate_file(std::string name, std::string bytes) {
  return offload(pool_->threads, [this, name = std::move(name), bytes = std::move(bytes)] {
    return impl::save_certificate_file_blocking(directory(), name, bytes, options());
  });
}

}  // namespace certbench::optimized
