#pragma once
// The API's database work (docs/api.md): each listing implementation behind a session pool of its
// own, each template cache variant, and the responses they make — body, status and the call's
// anatomy as a W3C Server-Timing value. Blocking calls: the server runs them on its worker
// threads, never on the event loop.
//
// Thread safety: every member may be called from any thread.
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "certbench/harness/implementations.hpp"
#include "certbench/http/routes.hpp"
#include "certbench/impl_common/idle_pool.hpp"
#include "certbench/redis/client.hpp"

namespace certbench::http {

/// What the server sends back: the body is JSON (docs/api.md).
struct Response {
  int status = 200;
  std::string body;
  std::string allow;          ///< the Allow header (405 only)
  std::string server_timing;  ///< the Server-Timing header ("" = none)
};

/// {"error": …} with `status`.
Response error_response(int status, std::string_view message, std::string allow = {});

/// The response for the exception in flight (call inside a catch block): RequestError its own
/// status, InputError and UsageError 400, ConnectionError 503, anything else 500. The message is
/// one line; an internal error's is not shown beyond its first line.
Response current_error_response();

/// GET /health: no database.
Response health_response();

/// "name;dur=1.234" with the duration in milliseconds, as Server-Timing spells one entry.
std::string timing_entry(std::string_view name, double seconds);
/// A count as a Server-Timing entry: name;desc="desc";dur=count (a count, not milliseconds).
std::string count_entry(std::string_view name, std::string_view desc, std::uint64_t count);

struct ApiOptions {
  std::string dsn;
  std::string schema = "certbench";
  /// Where Redis is, for the "redis" template variant; without it that variant is not served (404).
  std::optional<redis::Endpoint> redis;
  /// How the listing sessions are opened (a test's own implementation comes in here:
  /// harness::replacing).
  harness::ListingOpener open_session = harness::open_listing_session;
};

/// What a listing implementation's answers have cost so far, summed from the first request:
/// read twice around a load and subtracted, divided by the requests, it is the load's mean
/// request as the server saw it — the sums of the Server-Timing entries of every answer.
struct Anatomy {
  std::uint64_t requests = 0;  ///< listing pages answered (200)
  double queue = 0;            ///< seconds waiting for a worker and a session
  double call = 0;             ///< seconds from the session to the JSON body made (call + json)
  double cpu = 0;              ///< the worker thread's CPU in them (decoding, sorting, JSON, libpq)
  double statement_cpu = 0;    ///< of which inside the database wrapper (libpq)
  double decode_cpu = 0;       ///< of which decoding rows, where the implementation marks it
  Anatomy& operator-=(const Anatomy& o) noexcept;
};

class Api {
 public:
  /// Opens the template variants' sessions now (throws ConnectionError when the database is not
  /// there); the listing sessions open on first use.
  explicit Api(ApiOptions options);
  ~Api();
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  using Clock = std::chrono::steady_clock;

  /// One listing page from the route's implementation, on a session of its pool. `asked`: when
  /// the request was queued for a worker (the wait from then is the queue entry). Never throws:
  /// errors are responses.
  Response listing(const ListingRoute& route, Clock::time_point asked) noexcept;
  /// A template, or the public templates, from the route's variant. Never throws.
  Response templates(const TemplateRoute& route, Clock::time_point asked) noexcept;

  /// The sums of the listing implementation `impl`'s answers so far (all zero for a name that is
  /// not one).
  [[nodiscard]] Anatomy anatomy(std::string_view impl) const;


 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace certbench::http
