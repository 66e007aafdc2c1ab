#include "certbench/impl_optimized/file_saves.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "certbench/impl_common/file_saves.hpp"
#include "certbench/impl_common/offload.hpp"

namespace asio = boost::asio;

namespace certbench::optimized {

struct ThreadPoolFileSaves::Pool {
  explicit Pool(unsigned count) : threads(count) {
    // The pool's threads run below the loop's priority (nice +5): on a machine with fewer cores than
    // runnable threads, the kernel then lets the event loop run first when it is ready, instead of
    // letting it wait behind a decode. One job per thread, held until all have started, so each
    // thread takes exactly one.
    // The state is shared, not on this stack: a job may still be leaving wait() when the
    // constructor returns.
    struct Start {
      std::mutex mutex;
      std::condition_variable all;
      unsigned waiting = 0;
    };
    auto start = std::make_shared<Start>();
    start->waiting = count;
    const int nice = std::min(19, getpriority(PRIO_PROCESS, 0) + 5);
    for (unsigned i = 0; i < count; ++i)
      asio::post(threads, [start, nice] {
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice);
        std::unique_lock lock(start->mutex);
        if (--start->waiting == 0) start->all.notify_all();
        start->all.wait(lock, [&] { return start->waiting == 0; });
      });
    std::unique_lock lock(start->mutex);
    start->all.wait(lock, [&] { return start->waiting == 0; });
  }
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
