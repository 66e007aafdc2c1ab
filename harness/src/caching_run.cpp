#include "certbench/harness/caching_run.hpp"

#include <algorithm>
#include <memory>
#include <span>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/percentile.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_common/reference_queries.hpp"

namespace certbench::harness {

double CachingMeasurement::percentile_ns(double q) const { return percentile(ns_per_call, q); }

double CachingMeasurement::median_ns() const { return percentile_ns(0.5); }

namespace {

using Clock = std::chrono::steady_clock;

// One subject of a round: `call(i)` makes the i-th call; `before` runs untimed before each call
// (drops the cache, for misses); `batch` calls share one clock reading.
struct Subject {
  CachingMeasurement* out;
  std::function<void(std::size_t)> call;
  std::function<void()> before;
  std::size_t batch = 1;
  std::function<ReferenceCounters()> counters;
  std::uint64_t calls = 0;
  std::uint64_t excluded_redis = 0;  // round trips of `before`
};

void run_rounds(std::vector<Subject>& subjects, std::chrono::milliseconds budget, unsigned min_rounds) {
  for (auto& s : subjects)  // warm-up: statements prepared, connections open, caches filled
    for (std::size_t i = 0; i < 64; ++i) {
      if (s.before) s.before();
      s.call(i);
    }
  std::vector<ReferenceCounters> start;
  for (auto& s : subjects) start.push_back(s.counters ? s.counters() : ReferenceCounters{});
  const auto deadline = Clock::now() + budget;
  std::size_t i = 0;
  for (unsigned round = 0; round < min_rounds || (Clock::now() < deadline && round < 100'000); ++round) {
    for (auto& s : subjects) {
      std::uint64_t excluded = 0;
      double ns = 0;
      if (s.before) {  // one by one
        for (std::size_t n = 0; n < s.batch; ++n) {
          const auto trips = s.counters ? s.counters().redis_round_trips : 0;
          s.before();
          if (s.counters) excluded += s.counters().redis_round_trips - trips;
          const auto t0 = Clock::now();
          s.call(i++);
          ns += std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
        }
      } else {
        const auto t0 = Clock::now();
        for (std::size_t n = 0; n < s.batch; ++n) s.call(i++);
        ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
      }
      s.out->ns_per_call.push_back(ns / static_cast<double>(s.batch));
      s.out->batch = s.batch;
      s.calls += s.batch;
      s.excluded_redis += excluded;
    }
  }
  for (std::size_t k = 0; k < subjects.size(); ++k) {
    auto& s = subjects[k];
    if (!s.counters) continue;
    const auto end = s.counters();
    if (end.fallbacks != start[k].fallbacks)
      throw EnvironmentError("Redis failed during the measurement of " + s.out->path + " (fallbacks counted)");
    s.out->db_round_trips = static_cast<double>(end.db_round_trips - start[k].db_round_trips) / static_cast<double>(s.calls);
    s.out->redis_round_trips =
        static_cast<double>(end.redis_round_trips - start[k].redis_round_trips - s.excluded_redis) /
        static_cast<double>(s.calls);
  }
}

}  // namespace

std::vector<CachingMeasurement> measure_caching(const CachingRunSpec& spec,
                                                const std::function<void(std::string_view)>& progress) {
  // Hits and misses of a cache are measured on objects of their own (and Redis keys of their own):
  // dropping the cache for a miss must not turn the next hit into a miss.
  struct Variant {
    std::string mode;
    std::unique_ptr<ReferenceData> data;
  };
  std::vector<Variant> variants;
  for (auto name : spec.reference ? reference_implementations() : std::span<const std::string_view>{}) {
    for (std::string mode : {"hit", "miss"}) {
      if (name == "naive" && mode == "miss") continue;
      ReferenceOptions options;
      options.redis = spec.redis;
      options.redis_namespace = "run-" + mode + ":";
      variants.push_back({name == "naive" ? "" : mode, make_reference_data(name, spec.dsn, spec.schema, options)});
    }
  }

  db::Connection c(spec.dsn);
  impl::use_dataset(c, spec.schema);
  const auto ids = impl::reference_ids(c);
  const auto& template_ids = ids.templates;
  const auto& spa_ids = ids.spas;
  if (spec.reference && (template_ids.empty() || spa_ids.empty()))
    throw InputError("the dataset has no templates or spas");

  std::vector<CachingMeasurement> out;
  out.reserve(32);  // subjects point into it
  using Lookup = std::function<void(ReferenceData&, std::size_t)>;
  const std::vector<std::pair<std::string, Lookup>> paths{
      {"get_template_by_id", [&](ReferenceData& d, std::size_t i) { d.template_by_id(template_ids[i % template_ids.size()]); }},
      {"get_public_templates", [](ReferenceData& d, std::size_t) { d.public_templates(); }},
      {"spa_by_id", [&](ReferenceData& d, std::size_t i) { d.spa_by_id(spa_ids[i % spa_ids.size()]); }},
  };
  for (const auto& [path, lookup] : paths) {
    if (variants.empty()) break;
    if (progress) progress(path);
    std::vector<Subject> subjects;
    for (auto& v : variants) {
      ReferenceData* d = v.data.get();
      const std::string name(d->name());
      auto counters = [d] { return d->counters(); };
      auto call = [d, &lookup](std::size_t i) { lookup(*d, i); };
      out.push_back({path, name, v.mode, {}, 0, 0, 1});
      if (v.mode == "miss")
        subjects.push_back({&out.back(), call, [d] { d->forget_cached(); }, 4, counters});
      else
        subjects.push_back({&out.back(), call, {}, v.mode == "hit" && name == "in_process" ? 1000u : 4u, counters});
    }
    run_rounds(subjects, spec.budget_per_path, spec.min_rounds);
  }

  if (!spec.derived) return out;
  if (progress) progress("prepare_certificate_data");
  const auto rows = impl::certificates(c, 200);
  std::vector<std::unique_ptr<CertificateDataPaths>> data;
  std::vector<Subject> subjects;
  for (auto name : certificate_data_implementations()) {
    data.push_back(make_certificate_data(name, StorageSettings{}));
    const CertificateDataPaths* p = data.back().get();
    out.push_back({"prepare_certificate_data", std::string(name), "", {}, 0, 0, 1});
    subjects.push_back({&out.back(),
                        [p, &rows](std::size_t i) {
                          auto files = p->prepare_certificate_data(rows[i % rows.size()]);
                          asm volatile("" : : "r"(files.file_path.data()) : "memory");  // keep the call
                        },
                        {}, 1000, {}});
  }
  run_rounds(subjects, spec.budget_per_path, spec.min_rounds);
  return out;
}

}  // namespace certbench::harness
