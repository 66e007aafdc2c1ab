#include "certbench/impl_optimized/reference_data.hpp"

#include <nlohmann/json.hpp>

#include <mutex>
#include <unordered_set>

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/reference_queries.hpp"
#include "certbench/impl_common/idle_pool.hpp"

namespace certbench::impl_optimized {
namespace {

template <class T>
std::shared_ptr<const T> shared(std::optional<T> value) {
  return value ? std::make_shared<const T>(std::move(*value)) : nullptr;
}

}  // namespace

// ---- in-process --------------------------------------------------------------------------------

InProcessReferenceData::InProcessReferenceData(const std::string& dsn, std::string_view schema, CacheOptions options)
    : queries_(std::make_unique<impl_common::ReferenceQueries>(dsn, schema)),
      templates_(options),
      public_templates_(options),
      spas_(options) {}

InProcessReferenceData::~InProcessReferenceData() = default;

TemplateRef InProcessReferenceData::template_by_id(std::int64_t id) {
  return templates_.get(id, [&] { return shared(queries_->template_by_id(id)); });
}

TemplateListRef InProcessReferenceData::public_templates() {
  return public_templates_.get(0, [&] { return shared(std::optional(queries_->public_templates())); });
}

SpaRef InProcessReferenceData::spa_by_id(std::int64_t id) {
  return spas_.get(id, [&] { return shared(queries_->spa_by_id(id)); });
}

bool InProcessReferenceData::update_template(std::int64_t id, const TemplateChange& change) {
  const bool changed = queries_->update_template(id, change);
  templates_.invalidate(id);
  public_templates_.invalidate(0);
  return changed;
}

bool InProcessReferenceData::delete_template(std::int64_t id) {
  const bool deleted = queries_->delete_template(id);
  templates_.invalidate(id);
  public_templates_.invalidate(0);
  return deleted;
}

void InProcessReferenceData::forget_cached() {
  templates_.clear();
  public_templates_.clear();
  spas_.clear();
}

ReferenceCounters InProcessReferenceData::counters() const {
  ReferenceCounters c;
  for (const auto& k : {templates_.counters(), public_templates_.counters(), spas_.counters()}) {
    c.hits += k.hits;
    c.misses += k.misses;
    c.loads += k.loads;
    c.waits += k.waits;
    c.evictions += k.evictions;
  }
  c.db_round_trips = queries_->round_trips();
  return c;
}

// ---- Redis -------------------------------------------------------------------------------------

namespace {

using nlohmann::json;

json encode(const CertificateTemplate& t) {
  return {{"id", t.id},         {"name", t.name},     {"kind", t.kind},
          {"is_public", t.is_public}, {"is_active", t.is_active}, {"created_by", t.created_by},
          {"layout", t.layout}, {"updated_at", t.updated_at}};
}
json encode(const Spa& s) { return {{"id", s.id}, {"owner_id", s.owner_id}, {"name", s.name}, {"city", s.city}}; }
json encode(const std::vector<CertificateTemplate>& list) {
  json a = json::array();
  for (const auto& t : list) a.push_back(encode(t));
  return a;
}

CertificateTemplate decode_template(const json& j) {
  return {j.at("id").get<std::int64_t>(),    j.at("name").get<std::string>(),     j.at("kind").get<std::string>(),
          j.at("is_public").get<bool>(),     j.at("is_active").get<bool>(),       j.at("created_by").get<std::int64_t>(),
          j.at("layout").get<std::string>(), j.at("updated_at").get<std::string>()};
}

template <class T>
T decode(const json& j);
template <>
CertificateTemplate decode<CertificateTemplate>(const json& j) { return decode_template(j); }
template <>
Spa decode<Spa>(const json& j) {
  return {j.at("id").get<std::int64_t>(), j.at("owner_id").get<std::int64_t>(), j.at("name").get<std::string>(),
          j.at("city").get<std::string>()};
}
template <>
std::vector<CertificateTemplate> decode<std::vector<CertificateTemplate>>(const json& j) {
  std::vector<CertificateTemplate> out;
  out.reserve(j.size());
  for (const auto& t : j) out.push_back(decode_template(t));
  return out;
}

}  // namespace

struct RedisReferenceData::State {
  std::unique_ptr<impl_common::ReferenceQueries> queries;
  RedisCacheOptions options;
  std::string prefix;  // certbench:<schema>:

  SingleFlight<std::string, TemplateRef> template_flights;
  SingleFlight<std::string, TemplateListRef> list_flights;
  SingleFlight<std::string, SpaRef> spa_flights;

  std::atomic<std::uint64_t> hits{0}, misses{0}, loads{0}, fallbacks{0}, redis_round_trips{0};

  // Redis is skipped until this time after a failure (steady clock, nanoseconds).
  std::atomic<std::int64_t> down_until{0};
  // Invalidations that did not reach Redis: sent before any later read from it.
  std::mutex pending_mutex;
  std::vector<std::string> pending;
  std::atomic<bool> has_pending{false};
  // Keys this object stored, for forget_cached().
  std::mutex stored_mutex;
  std::unordered_set<std::string> stored;

  // Connections; a lookup leases one, and the pool grows by one when none is idle.
  impl_common::IdlePool<std::unique_ptr<redis::Client>> clients;

  // A leased connection whose round trips count towards redis_round_trips when it goes back.
  class Lease {
   public:
    explicit Lease(State& s)
        : s_(s), lease_(s.clients.take_or_make([&s] {
            return std::make_unique<redis::Client>(s.options.endpoint, redis::ClientOptions{s.options.timeout});
          })),
          start_((*lease_)->round_trips()) {}
    ~Lease() { s_.redis_round_trips += (*lease_)->round_trips() - start_; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    redis::Client* operator->() noexcept { return lease_->get(); }

   private:
    State& s_;
    impl_common::IdlePool<std::unique_ptr<redis::Client>>::Lease lease_;
    std::uint64_t start_ = 0;
  };

  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  bool redis_usable() const { return now_ns() >= down_until.load(std::memory_order_relaxed); }
  void mark_down() {
    down_until = now_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(options.retry_after).count();
  }

  // Sends the invalidations that failed earlier; throws ConnectionError if Redis still fails.
  void flush_pending(Lease& client) {
    if (!has_pending.load(std::memory_order_acquire)) return;
    std::lock_guard lock(pending_mutex);
    if (pending.empty()) return;
    client->del(pending);
    pending.clear();
    has_pending = false;
  }

  void invalidate(std::vector<std::string> keys) {
    try {
      Lease client(*this);
      flush_pending(client);
      client->del(keys);
      return;
    } catch (const ConnectionError&) {
      mark_down();
    }
    std::lock_guard lock(pending_mutex);
    pending.insert(pending.end(), keys.begin(), keys.end());
    has_pending = true;
  }

  // A lookup: Redis first; on a miss the database (one load per key in this process), stored back
  // with the TTL; if Redis fails, the database.
  template <class V, class Load>
  std::shared_ptr<const V> lookup(SingleFlight<std::string, std::shared_ptr<const V>>& flights, const std::string& key,
                                  Load load) {
    using Ref = std::shared_ptr<const V>;
    auto counted_load = [&] {
      ++loads;
      return Ref(load());
    };
    if (redis_usable()) {
      std::optional<Lease> client;
      std::optional<std::string> cached;
      try {
        client.emplace(*this);
        flush_pending(*client);
        cached = (*client)->get(key);
      } catch (const ConnectionError&) {
        mark_down();
        client.reset();
      }
      if (client) {
        if (cached) {
          try {
            auto value = std::make_shared<const V>(decode<V>(json::from_msgpack(*cached)));
            ++hits;
            return value;
          } catch (const json::exception&) {
            // Not ours, or damaged: answered from the database below, and overwritten.
          }
        }
        ++misses;
        return flights
            .run(key, counted_load,
                 [&](const Ref& value) {
                   if (!value) return;
                   try {
                     const auto bytes = json::to_msgpack(encode(*value));
                     (*client)->set(key, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                                    options.ttl);
                     std::lock_guard lock(stored_mutex);
                     stored.insert(key);
                   } catch (const ConnectionError&) {
                     mark_down();
                   }
                 })
            .value;
      }
    }
    ++fallbacks;
    return flights.run(key, counted_load, [](const Ref&) {}).value;
  }

  std::string template_key(std::int64_t id) const { return prefix + "template:" + std::to_string(id); }
  std::string list_key() const { return prefix + "public_templates"; }
  std::string spa_key(std::int64_t id) const { return prefix + "spa:" + std::to_string(id); }
};

RedisReferenceData::RedisReferenceData(const std::string& dsn, std::string_view schema, RedisCacheOptions options)
    : state_(std::make_unique<State>()) {
  state_->queries = std::make_unique<impl_common::ReferenceQueries>(dsn, schema);
  state_->options = std::move(options);
  state_->prefix = "certbench:" + std::string(schema) + ":" + state_->options.key_namespace;
}

RedisReferenceData::~RedisReferenceData() = default;

TemplateRef RedisReferenceData::template_by_id(std::int64_t id) {
  return state_->lookup<CertificateTemplate>(state_->template_flights, state_->template_key(id),
                                             [&] { return shared(state_->queries->template_by_id(id)); });
}

TemplateListRef RedisReferenceData::public_templates() {
  return state_->lookup<std::vector<CertificateTemplate>>(
      state_->list_flights, state_->list_key(), [&] { return shared(std::optional(state_->queries->public_templates())); });
}

SpaRef RedisReferenceData::spa_by_id(std::int64_t id) {
  return state_->lookup<Spa>(state_->spa_flights, state_->spa_key(id),
                             [&] { return shared(state_->queries->spa_by_id(id)); });
}

bool RedisReferenceData::update_template(std::int64_t id, const TemplateChange& change) {
  const bool changed = state_->queries->update_template(id, change);
  state_->template_flights.forget(state_->template_key(id));
  state_->list_flights.forget(state_->list_key());
  state_->invalidate({state_->template_key(id), state_->list_key()});
  return changed;
}

bool RedisReferenceData::delete_template(std::int64_t id) {
  const bool deleted = state_->queries->delete_template(id);
  state_->template_flights.forget(state_->template_key(id));
  state_->list_flights.forget(state_->list_key());
  state_->invalidate({state_->template_key(id), state_->list_key()});
  return deleted;
}

void RedisReferenceData::forget_cached() {
  state_->template_flights.forget_all();
  state_->list_flights.forget_all();
  state_->spa_flights.forget_all();
  std::vector<std::string> keys;
  {
    std::lock_guard lock(state_->stored_mutex);
    keys.assign(state_->stored.begin(), state_->stored.end());
    state_->stored.clear();
  }
  if (!keys.empty()) state_->invalidate(std::move(keys));
}

ReferenceCounters RedisReferenceData::counters() const {
  ReferenceCounters c;
  c.hits = state_->hits;
  c.misses = state_->misses;
  c.loads = state_->loads;
  c.fallbacks = state_->fallbacks;
  c.waits = state_->template_flights.joined() + state_->list_flights.joined() + state_->spa_flights.joined();
  c.redis_round_trips = state_->redis_round_trips;
  c.db_round_trips = state_->queries->round_trips();
  return c;
}

}  // namespace certbench::impl_optimized
