#pragma once
// certbench's own Redis server, started when no Redis is named (like the embedded PostgreSQL):
// Debian's redis-server on a free loopback port, nothing persisted, its log in a private directory
// /tmp/certbench-redis-XXXXXX. Stopped and removed by stop(), the destructor or a shutdown signal
// (sys/shutdown.hpp); if certbench is killed outright the kernel's parent-death signal stops the
// server, and the next start removes the directory it left.
#include <memory>
#include <string>
#include <sys/types.h>

#include "certbench/redis/client.hpp"

namespace certbench::redis {

class EmbeddedRedis {
 public:
  /// Starts a throwaway server; throws EnvironmentError if redis-server is missing or fails.
  static EmbeddedRedis start();

  ~EmbeddedRedis();
  EmbeddedRedis(EmbeddedRedis&&) noexcept;
  EmbeddedRedis& operator=(EmbeddedRedis&&) noexcept;

  [[nodiscard]] const Endpoint& endpoint() const noexcept;
  [[nodiscard]] pid_t pid() const noexcept;

  /// Stops the server and removes its directory. Idempotent and thread-safe.
  void stop() noexcept;

 private:
  struct State;
  explicit EmbeddedRedis(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace certbench::redis
