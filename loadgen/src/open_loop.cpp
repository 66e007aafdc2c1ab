#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include "certbench/loadgen/open_loop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <pthread.h>
#include <sched.h>

#include "certbench/core/errors.hpp"

namespace certbench::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Schedule {
  const OpenLoopOptions& o;
  tcp::endpoint server;
  Clock::time_point start;
  std::uint64_t total = 0;  // requests due in the window
  std::uint64_t next = 0;   // the next request no connection has taken
  OpenLoopResult r;

  [[nodiscard]] Clock::time_point due(std::uint64_t i) const {
    return start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(i) / o.rate));
  }
};

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// One keep-alive connection: takes the next request due, waits for its time, sends it, reads the
// answer; reconnects after an error or a dropped request. All on the generator's one thread.
asio::awaitable<void> connection(Schedule& s) {
  const auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  asio::steady_timer timer(executor);
  beast::flat_buffer buffer;
  bool open = false;
  bhttp::request<bhttp::string_body> request{s.o.post ? bhttp::verb::post : bhttp::verb::get, s.o.target, 11};
  if (s.o.post) {
    request.set(bhttp::field::content_type, s.o.post->content_type);
    request.body() = s.o.post->body;
    request.prepare_payload();
  }
  const bool v6 = s.o.host.find(':') != std::string::npos;
  request.set(bhttp::field::host, (v6 ? "[" + s.o.host + "]" : s.o.host) + ":" + std::to_string(s.o.port));
  request.set(bhttp::field::user_agent, "certbench-open-loop");
  request.keep_alive(true);
  const auto deadline = std::chrono::duration_cast<Clock::duration>(s.o.deadline);
  while (s.next < s.total) {
    const std::uint64_t i = s.next++;
    const auto intended = s.due(i);
    beast::error_code ec;
    if (Clock::now() < intended) {
      timer.expires_at(intended);
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (Clock::now() - intended > deadline) {  // this connection fell too far behind to send it
      ++s.r.dropped;
      continue;
    }
    stream.expires_at(intended + deadline);
    if (!open) {
      co_await stream.async_connect(s.server, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == beast::error::timeout) ++s.r.dropped; else ++s.r.errors;
        stream.socket().close(ec);
        continue;
      }
      open = true;
    }
    const auto sent = Clock::now();
    ++s.r.sent;
    if (sent - intended <= s.o.on_time) ++s.r.on_schedule;
    bhttp::response<bhttp::string_body> response;
    // A kept-alive connection the server closed while it sat idle fails before any byte of the
    // answer: reconnect and send a GET again, once, within the same deadline (a POST is not sent
    // twice: the server may have taken it).
    for (bool fresh = false;; fresh = true) {
      co_await bhttp::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
      if (!ec) co_await bhttp::async_read(stream, buffer, response, asio::redirect_error(asio::use_awaitable, ec));
      const bool closed_while_idle = ec == bhttp::error::end_of_stream || ec == asio::error::connection_reset ||
                                     ec == asio::error::broken_pipe || ec == asio::error::eof;
      if (fresh || !closed_while_idle || s.o.post) break;
      beast::error_code ignored;
      stream.socket().close(ignored);
      buffer.clear();
      response = {};
      co_await stream.async_connect(s.server, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    const auto done = Clock::now();
    if (ec) {
      if (ec == beast::error::timeout) ++s.r.dropped; else ++s.r.errors;
      beast::error_code ignored;
      stream.socket().close(ignored);
      buffer.clear();
      open = false;
      continue;
    }
    ++s.r.answered;
    const unsigned status = response.result_int();
    if (status < 200 || status > 299) {
      ++s.r.non_2xx;
    } else {
      s.r.latency.add(seconds_between(intended, done));
      s.r.service.add(seconds_between(sent, done));
    }
    if (status >= 200 && status <= 299 && s.o.check_every > 0 && s.o.check &&
        (s.r.answered - s.r.non_2xx) % s.o.check_every == 0) {
      ++s.r.checked;
      std::string wrong;
      try {
        wrong = s.o.check(response.body());
      } catch (const std::exception& e) {
        wrong = std::string("the check failed: ") + e.what();
      }
      if (!wrong.empty() && s.r.wrong.empty()) s.r.wrong = std::move(wrong);
    }
    if (!response.keep_alive()) {
      beast::error_code ignored;
      stream.socket().close(ignored);
      buffer.clear();
      open = false;
    }
  }
}

// The calling thread under SCHED_FIFO priority 1 while this lives, where the process may; its
// policy restored after.
class RealtimeThread {
 public:
  explicit RealtimeThread(bool wanted) {
    if (!wanted || ::pthread_getschedparam(::pthread_self(), &policy_, &param_) != 0) return;
    if (policy_ == SCHED_FIFO || policy_ == SCHED_RR) return;  // real-time already: left as it is
    const sched_param fifo{1};
    raised_ = ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &fifo) == 0;
  }
  ~RealtimeThread() {
    if (raised_) (void)::pthread_setschedparam(::pthread_self(), policy_, &param_);
  }
  RealtimeThread(const RealtimeThread&) = delete;
  RealtimeThread& operator=(const RealtimeThread&) = delete;
  [[nodiscard]] bool raised() const noexcept { return raised_; }

 private:
  int policy_ = SCHED_OTHER;
  sched_param param_{};
  bool raised_ = false;
};

}  // namespace

OpenLoopResult run_open_loop(const OpenLoopOptions& o) {
  if (!(o.rate > 0) || !(o.rate <= kMaxOpenLoopRate))
    throw UsageError("the open-loop rate must be more than 0 and at most 1,000,000 requests per second");
  if (o.duration.count() <= 0) throw UsageError("the open-loop window must be longer than 0 ms");
  if (o.rate * std::chrono::duration<double>(o.duration).count() < 1)
    throw UsageError("the open-loop schedule holds no request: rate x duration is under 1");
  asio::io_context io(1);
  beast::error_code ec;
  const auto address = asio::ip::make_address(o.host, ec);
  if (ec) throw UsageError("the open-loop generator takes an IP address, not '" + o.host + "'");
  Schedule s{o, tcp::endpoint(address, o.port), {}, 0, 0, {}};
  s.r.seconds = std::chrono::duration<double>(o.duration).count();
  s.total = static_cast<std::uint64_t>(std::floor(s.r.seconds * o.rate));
  s.r.scheduled = s.total;
  s.start = Clock::now() + std::chrono::milliseconds(5);  // every connection waits for its first request
  for (unsigned c = 0; c < std::max(1u, o.connections); ++c) asio::co_spawn(io, connection(s), asio::detached);
  const RealtimeThread realtime(o.realtime);
  s.r.realtime = realtime.raised();
  io.run();
  return std::move(s.r);
}

}  // namespace certbench::loadgen
