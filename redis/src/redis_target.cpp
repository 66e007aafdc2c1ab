#include "certbench/redis/redis_target.hpp"

#include <cstdlib>

#include "certbench/core/errors.hpp"

namespace certbench::redis {

RedisTarget RedisTarget::resolve(const std::string& url_option, const std::function<void(std::string_view)>& note) {
  RedisTarget t;
  std::string url = url_option;
  std::string source = "the given URL";
  if (url.empty()) {
    if (const char* env = std::getenv("REDIS_URL"); env != nullptr && *env != '\0') {
      url = env;
      source = "$REDIS_URL";
    }
  }
  if (!url.empty()) {
    t.endpoint_ = Endpoint::parse(url);
    Client probe(t.endpoint_);
    if (!probe.ping()) {
      (void)probe.get("certbench:probe");  // throws ConnectionError with the reason, if there is one
      throw ConnectionError("Redis at " + t.endpoint_.describe() + " does not answer PING");
    }
    t.description_ = source + " " + t.endpoint_.describe();
    return t;
  }
  t.server_ = EmbeddedRedis::start();
  t.endpoint_ = t.server_->endpoint();
  t.description_ = "embedded Redis (throwaway) on 127.0.0.1:" + std::to_string(t.endpoint_.port);
  if (note) note("started " + t.description_);
  return t;
}

}  // namespace certbench::redis
