#pragma once
// `certbench serve`: the API (docs/api.md) over HTTP/1.1 with keep-alive, every implementation
// side by side under its own prefix. One event-loop thread accepts, parses and writes (and runs
// the file saves, as the backend's async server does); the listings' and templates' blocking
// database calls run on `threads` worker threads.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "certbench/core/file_saves.hpp"
#include "certbench/http/api.hpp"

namespace certbench::http {

struct ServerOptions {
  std::string host = "127.0.0.1";  ///< an IPv4 or IPv6 address
  std::uint16_t port = 8080;       ///< 0: a free port (port() says which)
  std::uint64_t max_body = 16ull << 20;     ///< larger bodies get 413, refused from their headers
  std::uint32_t max_header = 8u << 10;      ///< larger request headers get 431
  unsigned max_connections = 256;           ///< connections beyond it get 503 and are closed
  std::chrono::milliseconds idle_timeout{30'000};  ///< a connection silent this long is closed
  unsigned threads = 4;                     ///< worker threads for the database calls
  ApiOptions api;                           ///< the database calls (each listing pool: up to `threads` sessions)
  std::filesystem::path save_dir;           ///< where the saves write; must exist
  SaveOptions save;
};

class Server {
 public:
  /// Opens what the API needs, binds, listens and starts serving on threads of its own. Throws
  /// UsageError for a bad address or an address in use, ConnectionError when the database is not
  /// there.
  explicit Server(ServerOptions options);
  /// stop().
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// "http://host:port".
  [[nodiscard]] std::string url() const;

  /// Stops accepting, closes idle connections, lets every request already read finish (its
  /// response is sent with Connection: close), then ends the threads. Blocks until then; any
  /// thread may call it, any number of times.
  void stop();
  /// Blocks until stop() has finished.
  void wait();

  /// Requests answered so far (any status).
  [[nodiscard]] std::uint64_t requests() const noexcept;
  /// Requests read whose response is not made yet (queued or running on a worker, or saving): a
  /// load that ends leaves the server busy with what it had read until this is 0.
  [[nodiscard]] std::uint64_t in_flight() const noexcept;

  /// The file-save implementations that can save on this machine (io_uring may not).
  [[nodiscard]] std::vector<std::string> save_implementations() const;

  /// The sums of the listing implementation `impl`'s answers so far (Api::anatomy).
  [[nodiscard]] Anatomy anatomy(std::string_view impl) const;

  /// The event loop's lag: from start_lag_probe() a timer on the loop thread asks to wake every
  /// millisecond and each wake's lateness is kept; stop_lag_probe() ends it and returns them
  /// (seconds), the wake still awaited among them when it is late already. One sample per wake:
  /// a loop blocked for 50 ms gives one sample of about 50 ms. Start and stop from one thread.
  void start_lag_probe();
  std::vector<double> stop_lag_probe();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace certbench::http
