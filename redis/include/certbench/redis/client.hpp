#pragma once
// A Redis client for the cache variant: the few commands it needs, each one round trip, counted
// like db::Connection counts statements. hiredis underneath, never in this header.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace certbench::redis {

/// Where a Redis server is: parsed from redis://[[user]:password@]host[:port][/db].
struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;  ///< "" = no AUTH
  int database = 0;
  /// Throws UsageError naming the problem for anything that is not such a URL.
  static Endpoint parse(std::string_view url);
  /// redis://host:port/db, password masked, for messages.
  [[nodiscard]] std::string describe() const;
};

struct ClientOptions {
  /// How long a connect or a command may take before the server counts as down.
  std::chrono::milliseconds timeout{250};
};

/// One connection. Every failure — refused, timed out, dropped, an error reply — throws
/// ConnectionError naming the server and the reason; the next command then reconnects. Not
/// thread-safe: one client per thread (or a pool).
class Client {
 public:
  explicit Client(Endpoint endpoint, ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// GET: the value, or std::nullopt if the key does not exist.
  std::optional<std::string> get(std::string_view key);
  /// SET key value PX ttl.
  void set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl);
  /// DEL keys…; how many existed.
  std::int64_t del(std::span<const std::string> keys);
  /// PING; true if the server answered PONG (never throws).
  bool ping() noexcept;
  /// The server's redis_version from INFO server, e.g. "7.0.15"; throws ConnectionError.
  std::string server_version();

  /// Commands sent and answered since construction.
  [[nodiscard]] std::uint64_t round_trips() const noexcept { return round_trips_; }
  [[nodiscard]] const Endpoint& endpoint() const noexcept { return endpoint_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  Endpoint endpoint_;
  ClientOptions options_;
  std::uint64_t round_trips_ = 0;
};

}  // namespace certbench::redis
