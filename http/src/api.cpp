#include "certbench/http/api.hpp"

#include <fmt/format.h>
#include <map>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/harness/heap_meter.hpp"
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

// The sessions of one listing implementation, each opened by a request that found none idle: an
// implementation nobody asks for holds no connection, and there are never more than the worker
// threads that take them.
using Pool = impl_common::IdlePool<harness::ListingSession>;

// What one call cost, on the thread that made it (docs/api.md, "Server-Timing").
struct CallCost {
  double call = 0, cpu = 0, statement_cpu = 0;
  std::optional<double> decode_cpu;  // where the implementation marks its decoding
  // queue, call, cpu, dbcpu, decode, wait.
  [[nodiscard]] std::string entries(double queue) const {
    return fmt::format("{}, {}, {}, {}, {}{}", timing_entry("queue", queue), timing_entry("call", call),
                       timing_entry("cpu", cpu), timing_entry("dbcpu", statement_cpu),
                       decode_cpu ? timing_entry("decode", *decode_cpu) + ", " : std::string(),
                       timing_entry("wait", call - cpu));
  }
};

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
  [[nodiscard]] CallCost read() const {
    CallCost c;
    c.call = seconds_between(wall_, Clock::now());
    c.cpu = sys::thread_cpu_seconds() - cpu_;
    c.statement_cpu = sys::cpu_part_seconds(sys::CpuPart::statement) - db_cpu_;
    if (sys::cpu_part_spans(sys::CpuPart::decode) != decode_spans_)
      c.decode_cpu = sys::cpu_part_seconds(sys::CpuPart::decode) - decode_cpu_;
    return c;
  }

 private:
  // The wrapper and the implementations read the CPU clock around their statements and decoding
  // while it lives.
  sys::CpuMeter cpu_meter_;
  Clock::time_point wall_;
  double cpu_, db_cpu_, decode_cpu_;
  std::uint64_t decode_spans_;
};

// Each listing implementation's sums (Api::anatomy).
struct Sums {
  mutable std::mutex mutex;
  Anatomy anatomy;
};

}  // namespace

struct Api::State {
  ApiOptions options;
  std::map<std::string, Pool, std::less<>> pools;
  std::map<std::string, Sums, std::less<>> sums;  // the pools' names, made in the constructor
  std::map<std::string, std::unique_ptr<ReferenceData>, std::less<>> references;
};

Api::Api(ApiOptions options) : state_(std::make_unique<State>()) {
  state_->options = std::move(options);
  const auto& o = state_->options;
  for (auto name : harness::listing_implementations()) {
    state_->pools[std::string(name)];
    state_->sums[std::string(name)];
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
    const auto& o = state_->options;
    auto lease = pool.take_or_make([&] { return o.open_session(o.dsn, o.schema, route.impl); }, asked);
    const double queue = seconds_between(asked, Clock::now());
    auto& session = *lease;
    if (route.page.after && !session.listings->serves_keyset())
      throw InputError("the " + route.impl + " implementation serves numbered pages only (use page=N)");
    const db::CallStats before = session.db->stats();
    std::optional<harness::HeapMeter> heap;  // per request only where the figures are exact: never under load
    if (harness::HeapMeter::exact()) heap.emplace().start();
    const CallMeter meter;
    ListingPage page;
    try {
      page = session.listings->list(route.listing, route.user_id, route.page);
    } catch (const ConnectionError&) {
      lease.discard();  // closed, as a pool drops a broken connection: the next request opens a new one
      throw;
    }
    const CallCost call = meter.read();
    const db::CallStats after = session.db->stats();
    const auto json_start = Clock::now();
    Response r{200, listing_body(route.listing, route.user_id, route.page, route.after, page), {}, {}};
    const double json = seconds_between(json_start, Clock::now());
    const CallCost whole = meter.read();  // the call and its JSON
    r.server_timing = fmt::format("{}, {}, {}, {}", call.entries(queue), timing_entry("json", json),
                                  count_entry("stmt", "statements", after.statements - before.statements),
                                  count_entry("rt", "round trips", after.round_trips - before.round_trips));
    if (heap)
      if (const auto peak = heap->peak(); peak && heap->allocations())
        r.server_timing += fmt::format(", {}, {}", count_entry("heap", "peak heap bytes", *peak),
                                       count_entry("allocs", "allocations", *heap->allocations()));
    auto& sums = state_->sums.at(route.impl);
    const std::lock_guard lock(sums.mutex);
    auto& a = sums.anatomy;
    ++a.requests;
    a.queue += queue;
    a.call += whole.call;
    a.cpu += whole.cpu;
    a.statement_cpu += whole.statement_cpu;
    a.decode_cpu += whole.decode_cpu.value_or(0);
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
    Response r{200, body.dump(), {}, meter.read().entries(queue)};
    return r;
  } catch (...) {
    return current_error_response();
  }
}

Anatomy& Anatomy::operator-=(const Anatomy& o) noexcept {
  requests -= o.requests;
  queue -= o.queue;
  call -= o.call;
  cpu -= o.cpu;
  statement_cpu -= o.statement_cpu;
  decode_cpu -= o.decode_cpu;
  return *this;
}

Anatomy Api::anatomy(std::string_view impl) const {
  const auto it = state_->sums.find(impl);
  if (it == state_->sums.end()) return {};
  const std::lock_guard lock(it->second.mutex);
  return it->second.anatomy;
}

}  // namespace certbench::http
