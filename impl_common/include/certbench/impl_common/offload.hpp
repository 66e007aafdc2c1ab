#pragma once
// Blocking work taken off the event loop: run it on a thread pool and resume the awaiting
// coroutine on its own executor (the loop) with the result or the exception — what Python's
// run_in_executor does for aiofiles. The loop counts the job as outstanding work, so its run()
// does not return while the job runs.
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <type_traits>

namespace certbench::impl {

/// `work()` on `pool`; the coroutine that awaits this resumes on its executor. Call it from a plain
/// function returning the awaitable, not inside a co_await expression with a capturing lambda:
/// GCC 12 frees such a lambda's init-captures twice.
template <typename Work, typename Result = std::invoke_result_t<Work&>>
boost::asio::awaitable<Result> offload(boost::asio::thread_pool& pool, Work work) {
  namespace asio = boost::asio;
  static_assert(std::is_default_constructible_v<Result>);
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, Result)>(
      [&pool](auto handler, Work job) {
        auto loop = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        asio::post(pool, [handler = std::move(handler), job = std::move(job), loop]() mutable {
          std::exception_ptr error;
          Result result{};
          try {
            result = job();
          } catch (...) {
            error = std::current_exception();
          }
          asio::post(loop, [handler = std::move(handler), error, result = std::move(result)]() mutable {
            handler(error, std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(work));
}

}  // namespace certbench::impl
