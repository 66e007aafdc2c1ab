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
#include <optional>
#include <type_traits>

namespace certbench::impl_common {

namespace detail {
// Runs `job` on the calling thread and resumes `handler` on `loop` with its result or its exception.
template <typename Result, typename Job, typename Handler, typename Loop>
void run_and_resume(Job& job, Handler& handler, const Loop& loop) {
  std::exception_ptr error;
  Result result{};
  try {
    result = job();
  } catch (...) {
    error = std::current_exception();
  }
  boost::asio::post(loop, [handler = std::move(handler), error, result = std::move(result)]() mutable {
    handler(error, std::move(result));
  });
}
}  // namespace detail

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
          detail::run_and_resume<Result>(job, handler, loop);
        });
      },
      asio::use_awaitable, std::move(work));
}

/// `first()` on `first_pool`, then `then(result of first)` on `then_pool`, handed from one pool
/// to the other directly (the loop is not woken in between); the awaiting coroutine resumes on its
/// executor with the second result, or with the exception either threw (`then` does not run after
/// `first` threw). CPU work and blocking I/O on pools of their own sizes. Same GCC 12 caveat as
/// offload().
template <typename First, typename Then, typename Middle = std::invoke_result_t<First&>,
          typename Result = std::invoke_result_t<Then&, Middle&&>>
boost::asio::awaitable<Result> offload_then(boost::asio::thread_pool& first_pool, First first,
                                            boost::asio::thread_pool& then_pool, Then then) {
  namespace asio = boost::asio;
  static_assert(std::is_default_constructible_v<Result>);
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, Result)>(
      [&first_pool, &then_pool](auto handler, First job, Then next) {
        auto loop = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        asio::post(first_pool, [handler = std::move(handler), job = std::move(job), next = std::move(next), loop,
                                &then_pool]() mutable {
          std::optional<Middle> middle;
          std::exception_ptr error;
          try {
            middle.emplace(job());
          } catch (...) {
            error = std::current_exception();
          }
          if (error) {
            asio::post(loop, [handler = std::move(handler), error]() mutable { handler(error, Result{}); });
            return;
          }
          asio::post(then_pool, [handler = std::move(handler), next = std::move(next), loop,
                                 middle = std::move(*middle)]() mutable {
            auto second = [&next, &middle] { return next(std::move(middle)); };
            detail::run_and_resume<Result>(second, handler, loop);
          });
        });
      },
      asio::use_awaitable, std::move(first), std::move(then));
}

}  // namespace certbench::impl_common
