#include "certbench/redis/client.hpp"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <vector>

#include "certbench/core/errors.hpp"

namespace certbench::redis {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

}  // namespace

Endpoint Endpoint::parse(std::string_view url) {
  const auto bad = [&](std::string_view why) {
    return UsageError(fmt::format("the Redis URL must be redis://[:password@]host[:port][/db] ({}: '{}')", why, url),
                      "redis");
  };
  constexpr std::string_view scheme = "redis://";
  if (!url.starts_with(scheme)) throw bad("no redis:// scheme");
  auto rest = url.substr(scheme.size());
  Endpoint e;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    auto db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty()) {
      auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), e.database);
      if (ec != std::errc() || p != db.data() + db.size() || e.database < 0) throw bad("bad database number");
    }
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = credentials.find(':');
    e.password = std::string(colon == std::string_view::npos ? credentials : credentials.substr(colon + 1));
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    auto port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), e.port);
    if (ec != std::errc() || p != port.data() + port.size() || e.port < 1 || e.port > 65535) throw bad("bad port");
  }
  if (rest.empty()) throw bad("no host");
  e.host = std::string(rest);
  return e;
}

std::string Endpoint::describe() const {
  return fmt::format("redis://{}{}:{}/{}", password.empty() ? "" : ":***@", host, port, database);
}

namespace {

[[noreturn]] void fail(const Endpoint& endpoint, std::string_view what) {
  throw ConnectionError(fmt::format("Redis at {}:{}: {}", endpoint.host, endpoint.port, what));
}

// The reason a context failed, in words: a timeout says so.
std::string reason(const redisContext* c) {
  if (c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) return "timed out";
  if (c->err == REDIS_ERR_EOF) return "connection closed by the server";
  return c->errstr[0] != '\0' ? std::string(c->errstr) : std::string("I/O error");
}

Reply command(redisContext* c, std::span<const std::string_view> args, const Endpoint& endpoint) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  Reply reply(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data())));
  if (!reply) fail(endpoint, reason(c));
  if (reply->type == REDIS_REPLY_ERROR) fail(endpoint, std::string(reply->str, reply->len));
  return reply;
}

}  // namespace

struct Client::Impl {
  const Endpoint& endpoint;
  const ClientOptions& options;
  redisContext* context = nullptr;

  ~Impl() { drop(); }

  void drop() noexcept {
    if (context != nullptr) redisFree(context);
    context = nullptr;
  }

  void connect() {
    const auto tv = to_timeval(options.timeout);
    redisContext* c = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv);
    if (c == nullptr) fail(endpoint, "out of memory");
    if (c->err != 0) {
      std::string why = c->errstr;
      redisFree(c);
      fail(endpoint, why);
    }
    try {
      if (redisSetTimeout(c, tv) != REDIS_OK) fail(endpoint, "cannot set the command timeout");
      if (!endpoint.password.empty()) {
        const std::array<std::string_view, 2> auth{"AUTH", endpoint.password};
        command(c, auth, endpoint);
      }
      if (endpoint.database != 0) {
        const auto db = std::to_string(endpoint.database);
        const std::array<std::string_view, 2> select{"SELECT", db};
        command(c, select, endpoint);
      }
    } catch (...) {
      redisFree(c);
      throw;
    }
    context = c;
  }

  // One command, connecting first when there is no usable connection: after construction, and
  // after any failure (hiredis leaves a failed context unusable).
  Reply run(std::span<const std::string_view> args) {
    if (context == nullptr) connect();
    try {
      return command(context, args, endpoint);
    } catch (...) {
      if (context->err != 0) drop();
      throw;
    }
  }
};

Client::Client(Endpoint endpoint, ClientOptions options)
    : endpoint_(std::move(endpoint)), options_(options) {
  impl_ = std::make_unique<Impl>(Impl{endpoint_, options_});
}

Client::~Client() = default;

std::optional<std::string> Client::get(std::string_view key) {
  const std::array<std::string_view, 2> args{"GET", key};
  auto r = impl_->run(args);
  ++round_trips_;
  if (r->type == REDIS_REPLY_NIL) return std::nullopt;
  if (r->type != REDIS_REPLY_STRING) fail(endpoint_, "unexpected reply to GET");
  return std::string(r->str, r->len);
}

void Client::set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  const auto px = std::to_string(std::max<std::int64_t>(1, ttl.count()));
  const std::array<std::string_view, 5> args{"SET", key, value, "PX", px};
  impl_->run(args);
  ++round_trips_;
}

std::int64_t Client::del(std::span<const std::string> keys) {
  if (keys.empty()) return 0;
  std::vector<std::string_view> args{"DEL"};
  args.insert(args.end(), keys.begin(), keys.end());
  auto r = impl_->run(args);
  ++round_trips_;
  return r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
}

std::string Client::server_version() {
  const std::array<std::string_view, 2> args{"INFO", "server"};
  auto r = impl_->run(args);
  ++round_trips_;
  if (r->type != REDIS_REPLY_STRING) fail(endpoint_, "unexpected reply to INFO");
  const std::string_view info(r->str, r->len);
  constexpr std::string_view field = "redis_version:";
  const auto at = info.find(field);
  if (at == std::string_view::npos) return "unknown";
  const auto start = at + field.size();
  return std::string(info.substr(start, info.find_first_of("\r\n", start) - start));
}

bool Client::ping() noexcept {
  try {
    const std::array<std::string_view, 1> args{"PING"};
    auto r = impl_->run(args);
    ++round_trips_;
    return r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == "PONG";
  } catch (...) {
    return false;
  }
}

}  // namespace certbench::redis
