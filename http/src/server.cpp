// The HTTP layer: the only translation unit that includes Beast (it compiles slowly).
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include "certbench/http/server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <ctime>
#include <future>
#include <mutex>
#include <optional>
#include <set>
#include <sys/socket.h>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/offload.hpp"
#include "saves.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace certbench::http {
namespace {

using Clock = std::chrono::steady_clock;

std::string http_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(text, n);
}

// A connection as stop() sees it: idle ones (waiting for a request) are closed at once.
struct Connection {
  beast::tcp_stream* stream = nullptr;
  bool busy = false;
};

// True when the client has closed its connection (or reset it) while its request waited for a
// worker: nobody will read the answer, so the work is not done. One recv() that does not block.
// The session keeps its socket open until the job returns, so `fd` is still this connection's.
bool client_gone(int fd) noexcept {
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

// nginx's status for a request whose client closed the connection first: written to a connection
// whose client has gone, so nobody reads it.
Response client_closed() { return error_response(499, "the client closed the connection before the answer"); }

// Database calls taken off the loop; plain function objects, as offload() wants.
struct ListingJob {
  Api* api;
  ListingRoute route;
  Clock::time_point asked;
  int client;
  Response operator()() { return client_gone(client) ? client_closed() : api->listing(route, asked); }
};
struct TemplateJob {
  Api* api;
  TemplateRoute route;
  Clock::time_point asked;
  int client;
  Response operator()() { return client_gone(client) ? client_closed() : api->templates(route, asked); }
};

}  // namespace

namespace detail {
// The server's state; Server::State is this, named outside the class for the coroutines below.
struct ServerState {
  ServerOptions options;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::unique_ptr<Api> api;
  std::optional<asio::thread_pool> workers;
  std::unique_ptr<SaveEndpoints> saves;  // after io: its implementations run on it
  std::set<Connection*> connections;     // the loop thread's only
  bool stopping = false;                 // the loop thread's only
  std::uint16_t port = 0;
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::int64_t> in_flight{0};  // requests read whose answer is not made yet
  std::thread loop;
  std::once_flag stop_once;
  std::promise<void> stopped;
  std::shared_future<void> stopped_future = stopped.get_future().share();
  std::mutex lag_mutex;
  std::vector<double> lag;               // seconds, under lag_mutex
  std::atomic<unsigned> lag_probe{0};    // the running probe's number; 0: none
  std::atomic<std::int64_t> lag_due{0};  // the probe's next wake (steady_clock ticks); 0: none
  unsigned lag_probes = 0;               // probes started (the caller's thread)
};
}  // namespace detail

struct Server::State : detail::ServerState {};

namespace {

using State = detail::ServerState;

// Plain functions, not coroutines: GCC 12 mis-copies a non-trivial temporary that lives across a
// co_await, so coroutines here pass only references and named values into co_await expressions.
asio::awaitable<Response> on_workers(State& s, const ListingRoute& route_, int client) {
  return impl_common::offload(*s.workers, ListingJob{s.api.get(), route_, Clock::now(), client});
}
asio::awaitable<Response> on_workers(State& s, const TemplateRoute& route_, int client) {
  return impl_common::offload(*s.workers, TemplateJob{s.api.get(), route_, Clock::now(), client});
}

asio::awaitable<Response> respond(State& s, const std::string& method, const std::string& target, std::string& body,
                                  int client) {
  Route route_;
  Response response;
  bool routed = false;
  try {
    route_ = route(method, target);
    routed = true;
  } catch (...) {
    response = current_error_response();
  }
  if (!routed) co_return response;
  if (std::holds_alternative<HealthRoute>(route_)) {
    response = health_response();
  } else if (const auto* listing = std::get_if<ListingRoute>(&route_)) {
    response = co_await on_workers(s, *listing, client);
  } else if (const auto* templates = std::get_if<TemplateRoute>(&route_)) {
    response = co_await on_workers(s, *templates, client);
  } else {
    response = co_await s.saves->save(std::get<SaveRoute>(route_), body);
  }
  co_return response;
}

asio::awaitable<void> send(State& s, beast::tcp_stream& stream, const Response& r, bool keep_alive,
                           beast::error_code& ec) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
  res.set(bhttp::field::server, "certbench");
  res.set(bhttp::field::date, http_date());
  res.set(bhttp::field::content_type, "application/json");
  if (!r.allow.empty()) res.set(bhttp::field::allow, r.allow);
  if (!r.server_timing.empty()) res.set("Server-Timing", r.server_timing);
  res.keep_alive(keep_alive);
  res.body() = r.body;
  res.prepare_payload();
  stream.expires_after(s.options.idle_timeout);
  co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  ++s.requests;
}

// After refusing a request whose body is still coming: read a little of it before closing, so the
// client reads the refusal instead of a connection reset.
asio::awaitable<void> linger(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(1));
  char scratch[16384];
  for (std::size_t total = 0; !ec && total < (1u << 20);)
    total += co_await stream.async_read_some(asio::buffer(scratch), asio::redirect_error(asio::use_awaitable, ec));
}

bool parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

asio::awaitable<void> session(State& s, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  Connection self{&stream};
  s.connections.insert(&self);
  struct Forget {
    State& s;
    Connection* c;
    ~Forget() { s.connections.erase(c); }
  } forget{s, &self};
  beast::flat_buffer buffer;
  beast::error_code ec;
  std::optional<Response> refusal;  // a request refused before its body was read: the last one
  while (!s.stopping) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(s.options.max_header);
    parser.body_limit(s.options.max_body);
    self.busy = false;
    stream.expires_after(s.options.idle_timeout);
    co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    self.busy = true;
    boost::optional<std::uint64_t> length;
    if (!ec) length = parser.content_length();
    if (ec == bhttp::error::header_limit) {
      refusal = error_response(431, "the request's header is larger than " + std::to_string(s.options.max_header) +
                                        " bytes");
    } else if (ec == bhttp::error::body_limit || (length && *length > s.options.max_body)) {
      refusal = error_response(413, "the request's body is larger than " + std::to_string(s.options.max_body) +
                                        " bytes");
    } else if (parse_error(ec)) {
      refusal = error_response(400, "malformed request: " + ec.message());
    } else if (ec) {
      break;  // closed, reset or idle too long
    }
    if (refusal) break;
    if (beast::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
      co_await bhttp::async_write(stream, go_on, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    if (!parser.is_done()) {
      stream.expires_after(s.options.idle_timeout);
      co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == bhttp::error::body_limit) {
        refusal = error_response(413, "the request's body is larger than " + std::to_string(s.options.max_body) +
                                          " bytes");
        break;
      }
      if (parse_error(ec)) {
        refusal = error_response(400, "malformed request: " + ec.message());
        break;
      }
      if (ec) break;
    }
    stream.expires_never();
    auto request = parser.release();
    const bool keep_alive = request.keep_alive();
    const std::string method(request.method_string()), target(request.target());
    ++s.in_flight;
    const Response response = co_await respond(s, method, target, request.body(), stream.socket().native_handle());
    --s.in_flight;
    const bool keep = keep_alive && !s.stopping;
    co_await send(s, stream, response, keep, ec);
    if (ec || !keep_alive) break;
  }
  if (refusal) {
    co_await send(s, stream, *refusal, false, ec);
    if (!ec) co_await linger(stream);
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

asio::awaitable<void> refuse(State& s, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::error_code ec;
  const Response busy = error_response(503, "too many connections");
  co_await send(s, stream, busy, false, ec);
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

constexpr auto ignore = [](const std::exception_ptr&) {};

asio::awaitable<void> accept_loop(State& s) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await s.acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (s.stopping) co_return;
    if (ec) {
      // Out of file descriptors, say: wait a moment instead of spinning.
      asio::steady_timer pause(s.io, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (s.connections.size() >= s.options.max_connections)
      asio::co_spawn(s.io, refuse(s, std::move(socket)), ignore);
    else
      asio::co_spawn(s.io, session(s, std::move(socket)), ignore);
  }
}

// Wakes every millisecond on the loop thread and keeps how late each wake was, until another
// probe starts or stop_lag_probe() ends it.
asio::awaitable<void> lag_probe(State& s, unsigned number) {
  asio::steady_timer timer(s.io);
  beast::error_code ec;
  constexpr auto period = std::chrono::milliseconds(1);
  while (s.lag_probe.load() == number && !s.stopping) {
    const auto due = Clock::now() + period;
    s.lag_due.store(due.time_since_epoch().count());
    timer.expires_at(due);
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    const double late = std::chrono::duration<double>(Clock::now() - due).count();
    std::lock_guard lock(s.lag_mutex);
    if (s.lag_probe.load() == number) s.lag.push_back(std::max(0.0, late));
  }
}

}  // namespace

Server::Server(ServerOptions options) : state_(std::make_unique<State>()) {
  detail::ServerState& s = *state_;
  s.options = std::move(options);
  s.options.threads = std::max(1u, s.options.threads);
  beast::error_code ec;
  const auto address = asio::ip::make_address(s.options.host, ec);
  if (ec) throw UsageError("'" + s.options.host + "' is not an IP address", "listen");
  s.api = std::make_unique<Api>(s.options.api);
  s.workers.emplace(s.options.threads);
  s.saves = std::make_unique<SaveEndpoints>(s.io, s.options.api.dsn, s.options.api.schema, s.options.save_dir,
                                            s.options.save, s.options.threads);
  const tcp::endpoint endpoint{address, s.options.port};
  s.acceptor.open(endpoint.protocol());
  s.acceptor.set_option(tcp::acceptor::reuse_address(true));
  s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw UsageError("cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) + ": " +
                               ec.message(), "listen");
  s.port = s.acceptor.local_endpoint().port();
  asio::co_spawn(s.io, accept_loop(s), ignore);
  s.loop = std::thread([&s] { s.io.run(); });
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const noexcept { return state_->port; }

std::string Server::url() const {
  const auto& host = state_->options.host;
  return "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port());
}

std::uint64_t Server::requests() const noexcept { return state_->requests.load(); }

std::uint64_t Server::in_flight() const noexcept {
  return static_cast<std::uint64_t>(std::max<std::int64_t>(0, state_->in_flight.load()));
}

std::vector<std::string> Server::save_implementations() const { return state_->saves->available(); }

Anatomy Server::anatomy(std::string_view impl) const { return state_->api->anatomy(impl); }

void Server::start_lag_probe() {
  State& s = *state_;
  {
    std::lock_guard lock(s.lag_mutex);
    s.lag.clear();
  }
  const unsigned number = ++s.lag_probes;
  s.lag_probe.store(number);
  asio::co_spawn(s.io, lag_probe(s, number), ignore);
}

std::vector<double> Server::stop_lag_probe() {
  State& s = *state_;
  std::lock_guard lock(s.lag_mutex);
  s.lag_probe.store(0);
  // The wake still awaited: a loop blocked at the end of the window is late by now already.
  const Clock::time_point due{Clock::duration(s.lag_due.exchange(0))};
  if (due.time_since_epoch().count() != 0 && Clock::now() > due)
    s.lag.push_back(std::chrono::duration<double>(Clock::now() - due).count());
  return std::exchange(s.lag, {});
}

void Server::stop() {
  detail::ServerState& s = *state_;
  std::call_once(s.stop_once, [&s] {
    asio::post(s.io, [&s] {
      s.stopping = true;
      beast::error_code ec;
      s.acceptor.close(ec);
      for (Connection* c : s.connections)
        if (!c->busy) c->stream->cancel();
    });
    if (s.loop.joinable()) s.loop.join();
    s.workers->join();
    s.stopped.set_value();
  });
}

void Server::wait() { state_->stopped_future.wait(); }

}  // namespace certbench::http
