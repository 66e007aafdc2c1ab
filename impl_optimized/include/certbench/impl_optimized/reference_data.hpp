#pragma once
// The review's fixes for problems 5 and 6 ("use joins or implement SPA caching", "implement Redis
// or in-memory caching for templates"), both: an in-process cache, and Redis in front of the
// database. The statements behind them are the naive variant's (impl_common::ReferenceQueries).
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "certbench/core/reference_data.hpp"
#include "certbench/impl_optimized/ttl_cache.hpp"
#include "certbench/redis/client.hpp"

namespace certbench::impl_common {
class ReferenceQueries;
}

namespace certbench::impl_optimized {

/// Templates, the public template list and spas in TtlCaches: bounded, with a TTL, one load per
/// key however many threads miss at once. update_template and delete_template change the
/// database, then invalidate the template and the public list.
class InProcessReferenceData final : public certbench::ReferenceData {
 public:
  InProcessReferenceData(const std::string& dsn, std::string_view schema, CacheOptions options = {});
  ~InProcessReferenceData() override;
  [[nodiscard]] std::string_view name() const noexcept override { return "in_process"; }

  TemplateRef template_by_id(std::int64_t id) override;
  TemplateListRef public_templates() override;
  SpaRef spa_by_id(std::int64_t id) override;
  bool update_template(std::int64_t id, const TemplateChange& change) override;
  bool delete_template(std::int64_t id) override;
  void forget_cached() override;
  [[nodiscard]] ReferenceCounters counters() const override;

 private:
  std::unique_ptr<impl_common::ReferenceQueries> queries_;
  TtlCache<std::int64_t, CertificateTemplate> templates_;
  TtlCache<int, std::vector<CertificateTemplate>> public_templates_;  // one key: 0
  TtlCache<std::int64_t, Spa> spas_;
};

struct RedisCacheOptions {
  redis::Endpoint endpoint;
  std::chrono::milliseconds ttl{60'000};       ///< SET … PX
  std::chrono::milliseconds timeout{250};      ///< a command slower than this counts as Redis down
  std::chrono::milliseconds retry_after{1'000};  ///< after a failure, the database alone this long
  /// Keys live under certbench:<schema>:<key_namespace>; two objects with different namespaces
  /// share nothing (a measurement of misses must not empty the cache of its hits).
  std::string key_namespace;
};

/// The same contract over Redis: values as MessagePack (nlohmann::json's binary form: strings stay
/// raw bytes, so a template's JSON layout is not escaped and parsed again) under
/// certbench:<schema>:template:<id>,
/// …:public_templates and …:spa:<id>, with a TTL (SET PX); changes DEL the keys. Misses in this
/// process go through one single flight per key. If Redis fails (refused, timed out, dropped),
/// lookups are answered from the database and counted as fallbacks, and Redis is left alone for
/// `retry_after`. Invalidations that could not reach Redis are kept and sent before any later read
/// from Redis, so a stale value is never served. (Changes made by another process while Redis was
/// unreachable are bounded by the TTL only.)
class RedisReferenceData final : public certbench::ReferenceData {
 public:
  RedisReferenceData(const std::string& dsn, std::string_view schema, RedisCacheOptions options);
  ~RedisReferenceData() override;
  [[nodiscard]] std::string_view name() const noexcept override { return "redis"; }

  TemplateRef template_by_id(std::int64_t id) override;
  TemplateListRef public_templates() override;
  SpaRef spa_by_id(std::int64_t id) override;
  bool update_template(std::int64_t id, const TemplateChange& change) override;
  bool delete_template(std::int64_t id) override;
  /// Deletes the keys this object stored (not other processes' keys).
  void forget_cached() override;
  [[nodiscard]] ReferenceCounters counters() const override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace certbench::impl_optimized
