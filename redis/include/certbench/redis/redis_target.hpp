#pragma once
// Which Redis the cache variant uses, in order of precedence:
//   1. --redis URL
//   2. $REDIS_URL
//   3. otherwise a throwaway embedded server, stopped when the target goes away.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "certbench/redis/embedded_redis.hpp"

namespace certbench::redis {

class RedisTarget {
 public:
  /// Resolves (starting an embedded server if that is the choice). A named server must answer a
  /// PING, or ConnectionError names it. `note` receives one-line messages for the user.
  static RedisTarget resolve(const std::string& url_option, const std::function<void(std::string_view)>& note);

  [[nodiscard]] const Endpoint& endpoint() const noexcept { return endpoint_; }
  /// e.g. "embedded Redis (throwaway) on 127.0.0.1:41235" or "--redis redis://…".
  [[nodiscard]] const std::string& description() const noexcept { return description_; }

 private:
  Endpoint endpoint_;
  std::string description_;
  std::optional<EmbeddedRedis> server_;
};

}  // namespace certbench::redis
