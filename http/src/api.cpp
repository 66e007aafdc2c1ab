#include "certbench/http/api.hpp"

#include <fmt/format.h>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/http/json.hpp"
#include "certbench/sys/cpu_time.hpp"

namespace certbench::http {

Response error_response(int status, std::string_view message, std::string allow) {
  return {status, error_body(message), std::move(allow), {}};
}

Response current_error_response() {
  try {
    throw;
  } catch (const RequestError& e) {
    return error_response(e.status(), e.what(), e.allow());
  } catch (const InputError& e) {
    return error_response(400, first_line(e.what()));
  } catch (const UsageError& e) {
    return error_response(400, first_line(e.what()));
  } catch (const ConnectionError& e) {
    return error_response(503, "the database is unavailable: " + first_line(e.what()));
  } catch (const std::exception& e) {
    return error_response(500, "internal error: " + first_line(e.what()));
  } catch (...) {
    return error_response(500, "internal error");
  }
}

Response health_response() { return {200, R"({"status":"ok"})", {}, {}}; }

std::string timing_entry(std::string_view name, double seconds) {
  return fmt::format("{};dur={:.3f}", name, std::max(0.0, seconds) * 1e3);
}

std::string count_entry(std::string_view name, std::string_view desc, std::uint64_t count) {
  return fmt::format("{};desc=\"{}\";dur={}", name, desc, count);
}

namespace {

using Clock = Api::Clock;

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// A session of one listing implementation, opened by the first request that takes it: an
// implementation nobody asks for holds no connection.
struct Slot {
  std::optional<harness::ListingSession> session;
};
using Pool = impl::IdlePool<std::unique_ptr<Slot>>;

// What one call cost, on the thread that made it (docs/api.md, "Server-Timing").
class CallMeter {
 public:
  CallMeter()
      : wall_(Clock::now()),
        cpu_(sys::thread_cpu_seconds()),
        db_cpu_(sys::cpu_part_seconds(sys::CpuPart::statement)),
        decode_cpu_(sys::cpu_part_seconds(sys::CpuPart::decode)),
        decode_spans_(sys::cpu_part_spans(sys::CpuPart::decode)) {}
  CallMeter(const CallMeter&) = delete;
  CallMeter& operator=(const CallMeter&) = delete;
  // queue, call, cpu, dbcpu, decode (where the implementation marks it), wait.
  [[nodiscard]] std::string entries(double queue_seconds) const {
    const double call = seconds_between(wall_, Clock::now());
    const double cpu = sys::thread_cpu_seconds() - cpu_;
    const double db_cpu = sys::cpu_part_seconds(sys::CpuPart::statement) - db_cpu_;
    std::string decode;
    if (sys::cpu_part_spans(sys::CpuPart::decode) != decode_spans_)
      decode = timing_entry("decode", sys::cpu_part_seconds(sys::CpuPart::decode) - decode_cpu_) + ", ";
    return fmt::format("{}, {}, {}, {}, {}{}", timing_entry("queue", queue_seconds), timing_entry("call", call),
                       timing_entry("cpu", cpu), timing_entry("dbcpu", db_cpu), decode, timing_entry("wait", call - cpu));
  }

 private:
  // The wrapper and the implementations read the CPU clock around their statements and decoding
  // while it lives.
  sys::CpuMeter cpu_meter_;
  Clock::time_point wall_;
  double cpu_, db_cpu_, decode_cpu_;
  std::uint64_t decode_spans_;
};

}  // namespace

struct Api::State {
  ApiOptions options;
  std::map<std::string, Pool, std::less<>> pools;
  std::map<std::string, std::unique_ptr<ReferenceData>, std::less<>> references;
};

Api::Api(ApiOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  const auto& o = state_->options;
  for (auto name : harness::listing_implementations()) {
    auto& pool = state_->pools[std::string(name)];
    for (unsigned i = 0; i < std::max(1u, o.sessions); ++i) pool.add(std::make_unique<Slot>());
  }
  for (auto name : harness::reference_implementations()) {
    if (name == "redis" && !o.redis) continue;
    harness::ReferenceOptions ro;
    if (o.redis) ro.redis = *o.redis;
    ro.redis_namespace = o.schema;
    state_->references[std::string(name)] = harness::make_reference_data(name, o.dsn, o.schema, ro);
  }
}

Api::~Api() = default;

Response Api::listing(const ListingRoute& route, Clock::time_point asked) noexcept {
  try {
    auto& pool = state_->pools.at(route.impl);
    auto lease = pool.take(asked);
    const double queue = seconds_between(asked, Clock::now());
    Slot& slot = **lease;
    if (!slot.session) slot.session = harness::open_listing_session(state_->options.dsn, state_->options.schema, route.impl);
    auto& session = *slot.session;
    if (route.page.after && !session.listings->serves_keyset())
      throw InputError("the " + route.impl + " implementation serves numbered pages only (use page=N)");
    const db::CallStats before = session.db->stats();
    const CallMeter meter;
    const ListingPage page = session.listings->list(route.listing, route.user_id, route.page);
    std::string timing = meter.entries(queue);
    const db::CallStats after = session.db->stats();
    const auto json_start = Clock::now();
    Response r{200, listing_body(route.listing, route.user_id, route.page, route.after, page), {}, {}};
    r.server_timing = fmt::format("{}, {}, {}, {}", timing, timing_entry("json", seconds_between(json_start, Clock::now())),
                                  count_entry("stmt", "statements", after.statements - before.statements),
                                  count_entry("rt", "round trips", after.round_trips - before.round_trips));
    return r;
  } catch (...) {
    return current_error_response();
  }
}

Response Api::templates(const TemplateRoute& route, Clock::time_point asked) noexcept {
  try {
    const auto it = state_->references.find(route.variant);
    if (it == state_->references.end())
      throw RequestError(404, "the template variant " + route.variant + " is not served (start with --redis URL)");
    const double queue = seconds_between(asked, Clock::now());
    const CallMeter meter;
    nlohmann::json body;
    if (route.id) {
      const TemplateRef t = it->second->template_by_id(*route.id);
      if (!t) throw RequestError(404, "no template " + std::to_string(*route.id));
      body = template_json(*t);
    } else {
      const TemplateListRef list = it->second->public_templates();
      body = {{"templates", nlohmann::json::array()}};
      for (const auto& t : *list) body["templates"].push_back(template_json(t));
    }
    Response r{200, body.dump(), {}, meter.entries(queue)};
    return r;
  } catch (...) {
    return current_error_response();
  }
}

impl::PoolUsage Api::pool_usage(std::string_view impl) const {
  const auto it = state_->pools.find(impl);
  return it == state_->pools.end() ? impl::PoolUsage{} : it->second.usage();
}

}  // namespace certbench::http
