#include "certbench/harness/caching_run.hpp"

#include <algorithm>
#include <memory>
#include <span>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/results/statistics.hpp"
#include "certbench/harness/rounds.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_common/reference_queries.hpp"

namespace certbench::harness {

namespace {

using Clock = std::chrono::steady_clock;

// One subject of the rounds (harness/rounds.hpp) and what its counters said before them.
struct Subject {
  CachingMeasurement* out;
  RoundSubject round;
  std::function<ReferenceCounters()> counters;
  std::uint64_t excluded_redis = 0;  // round trips of `before` (dropping a Redis key for a miss)
  ReferenceCounters start;
};

CachingMeasurement measurement_of(std::string path, std::string variant, std::string mode) {
  CachingMeasurement m;
  m.path = std::move(path);
  m.variant = std::move(variant);
  m.mode = std::move(mode);
  return m;
}

// Calls of a subject that reaches the database, run alone after the rounds for the server's counts.
constexpr unsigned kServerCalls = 16;

// The rounds over `subjects`; then, for each that reached PostgreSQL, the server's counts of a few
// calls alone (a miss's preparation before each, as in the rounds) — with `server` given.
void run_subjects(std::vector<Subject>& subjects, std::chrono::milliseconds budget, unsigned min_rounds,
                  ServerStatements* server) {
  std::vector<RoundSubject> rounds;
  for (auto& s : subjects) {
    s.round.warmup_calls = 64;  // statements prepared, connections open, caches filled
    if (s.round.before && s.counters) {  // a miss's preparation is not the call's cost
      s.round.before = [&s, before = s.round.before] {
        const auto trips = s.counters().redis_round_trips;
        before();
        s.excluded_redis += s.counters().redis_round_trips - trips;
      };
    }
    rounds.push_back(s.round);
  }
  RoundsSpec spec;
  spec.budget = budget;
  spec.min_rounds = min_rounds;
  spec.after_warmup = [&subjects] {
    for (auto& s : subjects) {
      s.excluded_redis = 0;
      if (s.counters) s.start = s.counters();
    }
  };
  run_rounds(rounds, spec);
  for (std::size_t k = 0; k < subjects.size(); ++k) {
    auto& s = subjects[k];
    for (double sec : rounds[k].seconds) s.out->ns_per_call.push_back(sec * 1e9);
    for (double sec : rounds[k].cpu_seconds) s.out->cpu_ns_per_call.push_back(sec * 1e9);
    for (double sec : rounds[k].statement_cpu_seconds) s.out->statement_cpu_ns_per_call.push_back(sec * 1e9);
    s.out->batch = s.round.batch;
    if (!s.counters) continue;
    const auto end = s.counters();
    const auto calls = static_cast<double>(rounds[k].calls_made);
    if (end.fallbacks != s.start.fallbacks) {
      s.out->failure = std::to_string(end.fallbacks - s.start.fallbacks) + " lookups answered from the database";
      continue;
    }
    s.out->db_round_trips = static_cast<double>(end.db_round_trips - s.start.db_round_trips) / calls;
    s.out->redis_round_trips =
        static_cast<double>(end.redis_round_trips - s.start.redis_round_trips - s.excluded_redis) / calls;
    s.out->hits = static_cast<double>(end.hits - s.start.hits) / calls;
    s.out->misses = static_cast<double>(end.misses - s.start.misses) / calls;
  }
  if (server == nullptr || !server->available()) return;
  for (auto& s : subjects) {
    if (s.out->db_round_trips <= 0 || !s.out->failure.empty()) continue;
    auto& round = s.round;
    s.out->server = server->per_call(
        [&round] {
          if (round.before) round.before();
          round.calls(0, 1);
        },
        kServerCalls);
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
  impl_common::use_dataset(c, spec.schema);
  const auto ids = impl_common::reference_ids(c);
  const auto& template_ids = ids.templates;
  const auto& spa_ids = ids.spas;
  if (spec.reference && (template_ids.empty() || spa_ids.empty()))
    throw InputError("the dataset has no templates or spas");

  ServerStatements server(spec.dsn);
  std::vector<CachingMeasurement> out;
  // Subjects point into it: room for every (path, variant) and every prepare_certificate_data
  // implementation, so that it never reallocates.
  out.reserve(3 * variants.size() + certificate_data_implementations().size());
  // Each path's lookup is inlined into its batch loop: the harness adds one indirect call per
  // batch of 1000 hits, not one per hit (scripts/bench-overhead).
  auto measure_function = [&](const std::string& path, auto lookup) {
    if (variants.empty()) return;
    if (progress) progress(path);
    std::vector<Subject> subjects;
    for (auto& v : variants) {
      ReferenceData* d = v.data.get();
      const std::string name(d->name());
      out.push_back(measurement_of(path, name, v.mode));
      RoundSubject r;
      r.calls = [d, lookup](std::size_t first, std::size_t count) {
        for (std::size_t i = first; i < first + count; ++i) lookup(*d, i);
      };
      if (v.mode == "miss") r.before = [d] { d->forget_cached(); };
      r.batch = v.mode == "hit" && name == "in_process" ? 1000 : 4;
      subjects.push_back({&out.back(), std::move(r), [d] { return d->counters(); }, 0, {}});
    }
    run_subjects(subjects, spec.budget_per_function, spec.min_rounds, &server);
  };
  measure_function("get_template_by_id",
               [&](ReferenceData& d, std::size_t i) { d.template_by_id(template_ids[i % template_ids.size()]); });
  measure_function("get_public_templates", [](ReferenceData& d, std::size_t) { d.public_templates(); });
  measure_function("spa_by_id", [&](ReferenceData& d, std::size_t i) { d.spa_by_id(spa_ids[i % spa_ids.size()]); });

  if (!spec.derived) return out;
  if (progress) progress("prepare_certificate_data");
  const auto rows = impl_common::certificates(c, 200);
  std::vector<std::unique_ptr<CertificateDataFunctions>> data;
  std::vector<Subject> subjects;
  for (auto name : certificate_data_implementations()) {
    data.push_back(make_certificate_data(name, StorageSettings{}));
    const CertificateDataFunctions* p = data.back().get();
    out.push_back(measurement_of("prepare_certificate_data", std::string(name), ""));
    RoundSubject r;
    r.calls = [p, &rows](std::size_t first, std::size_t count) {
      for (std::size_t i = first; i < first + count; ++i) {
        auto files = p->prepare_certificate_data(rows[i % rows.size()]);
        asm volatile("" : : "r"(files.file_path.data()) : "memory");  // keep the call
      }
    };
    r.batch = 1000;
    subjects.push_back({&out.back(), std::move(r), {}, 0, {}});
  }
  run_subjects(subjects, spec.budget_per_function, spec.min_rounds, nullptr);  // no database in these calls
  return out;
}

}  // namespace certbench::harness
