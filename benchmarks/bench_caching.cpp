// The caching and derived-data paths, every variant:
//
//   get_template_by_id/<variant>[/hit|/miss]     naive, in_process, redis
//   get_public_templates/<variant>[/hit|/miss]
//   spa_by_id/<variant>[/hit|/miss]              the endpoints' spa lookup
//   prepare_certificate_data/<variant>            naive, precomputed
//
// A hit cycles over every template (or spa) of the dataset, all cached beforehand; a miss drops
// the cache before each call (outside the timing), so it measures lookup + load + store. Counters
// per call: db_round_trips, redis_round_trips, peak_heap_bytes (jemalloc).
//
// Own flags (before Google Benchmark's):
//   --certbench_dsn=DSN      a server with the dataset bench_<scale> ready (certbench bench prepares
//                            it); without it a throwaway cluster is started and seeded
//   --certbench_scale=N      the dataset (default 20000: 10 templates, 40 spas)
//   --certbench_redis=URL    a Redis for the redis variant; without it an embedded one is started
//   --certbench_goals        after the run, judge the claims table's goals on what this run measured
//   --certbench_results=FILE write the runs as results.json (family "benchmark")
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_main.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/db/embedded_postgres.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/heap_meter.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_common/reference_queries.hpp"
#include "certbench/redis/embedded_redis.hpp"
#include "collecting_reporter.hpp"

namespace {

using namespace certbench;

struct Config {
  std::string dsn;
  std::uint64_t scale = 20'000;
  std::string redis_url;
  redis::Endpoint redis;
  bool goals = false;
  std::string results;  ///< --certbench_results=FILE: the runs as results.json
  std::string schema() const { return "bench_" + std::to_string(scale); }
};

enum class Lookup { template_by_id, public_templates, spa_by_id };
constexpr std::string_view name_of(Lookup p) {
  return p == Lookup::template_by_id ? "get_template_by_id" : p == Lookup::public_templates ? "get_public_templates" : "spa_by_id";
}

ReferenceData& variant(const Config& config, std::string_view name) {
  static std::map<std::string, std::unique_ptr<ReferenceData>, std::less<>> made;
  auto it = made.find(name);
  if (it == made.end()) {
    harness::ReferenceOptions o;
    o.redis = config.redis;
    it = made.emplace(std::string(name), harness::make_reference_data(name, config.dsn, config.schema(), o)).first;
  }
  return *it->second;
}

using Keys = impl_common::ReferenceIds;
const Keys& keys(const Config& config) {
  static const Keys k = [&] {
    db::Connection c(config.dsn);
    impl_common::use_dataset(c, config.schema());
    return impl_common::reference_ids(c);
  }();
  return k;
}

// One lookup of `lookup`; `i` walks over the keys.
bool look_up(ReferenceData& data, Lookup lookup, const Keys& k, std::size_t& i) {
  const auto& ids = lookup == Lookup::spa_by_id ? k.spas : k.templates;
  if (++i >= ids.size()) i = 0;
  switch (lookup) {
    case Lookup::template_by_id: return data.template_by_id(ids[i]) != nullptr;
    case Lookup::public_templates: return data.public_templates() != nullptr;
    case Lookup::spa_by_id: return data.spa_by_id(ids[i]) != nullptr;
  }
  return false;
}

enum class Mode { every_call, hit, miss };

// With several threads (in-process hits), the first one sets up and reports for all; Google
// Benchmark starts and ends the timed loop of all threads together.
void run_lookup(benchmark::State& state, const Config& config, Lookup lookup, std::string_view name, Mode mode) {
  auto& data = variant(config, name);
  const auto& k = keys(config);
  const bool first = state.thread_index() == 0;
  std::size_t i = 0;
  ReferenceCounters before;
  std::optional<std::uint64_t> peak;
  if (first) {
    data.forget_cached();
    // Warm-up: statements prepared, connections open; for hits, every key cached.
    for (std::size_t n = 0; n < std::max(k.templates.size(), k.spas.size()); ++n) look_up(data, lookup, k, i);
    // Peak heap per call, from calls of their own: reading jemalloc's counters costs more than a hit.
    const harness::ExactHeap exact;
    harness::HeapMeter heap;
    for (int n = 0; n < 64 && harness::HeapMeter::available(); ++n) {
      if (mode == Mode::miss) data.forget_cached();
      heap.start();
      look_up(data, lookup, k, i);
      peak = std::max(peak.value_or(0), heap.peak().value_or(0));
    }
    before = data.counters();
  }
  i = static_cast<std::size_t>(state.thread_index());
  std::uint64_t dropping = 0;  // Redis round trips of forget_cached(), outside the timing
  for (auto _ : state) {
    if (mode == Mode::miss) {
      state.PauseTiming();
      const auto trips = data.counters().redis_round_trips;
      data.forget_cached();
      dropping += data.counters().redis_round_trips - trips;
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(look_up(data, lookup, k, i));
  }
  if (!first) return;
  const auto after = data.counters();
  const auto calls = static_cast<std::uint64_t>(state.iterations()) * static_cast<std::uint64_t>(state.threads());
  using benchmark::Counter;
  // Per call: the counters are this thread's, so divide by every thread's calls.
  state.counters["db_round_trips"] = static_cast<double>(after.db_round_trips - before.db_round_trips) / static_cast<double>(calls);
  state.counters["redis_round_trips"] =
      static_cast<double>(after.redis_round_trips - before.redis_round_trips - dropping) / static_cast<double>(calls);
  if (peak) state.counters["peak_heap_bytes"] = static_cast<double>(*peak);
  if (mode == Mode::hit && after.hits - before.hits != calls) state.SkipWithError("not every call was a hit");
  if (after.fallbacks != before.fallbacks) state.SkipWithError("Redis failed during the run (fallbacks counted)");
}

void run_certificate_data(benchmark::State& state, const Config& config, std::string_view name) {
  static const std::vector<CertificateRow> rows = [&] {
    db::Connection c(config.dsn);
    impl_common::use_dataset(c, config.schema());
    return impl_common::certificates(c, 200);
  }();
  const auto data = harness::make_certificate_data(name, StorageSettings{});
  std::size_t i = 0;
  for (auto _ : state) {
    auto files = data->prepare_certificate_data(rows[i++ % rows.size()]);
    benchmark::DoNotOptimize(files.file_path.data());
  }
}

void register_all(const Config& config) {
  for (Lookup lookup : {Lookup::template_by_id, Lookup::public_templates, Lookup::spa_by_id}) {
    for (auto name : harness::reference_implementations()) {
      const std::vector<std::pair<Mode, std::string>> modes =
          name == "naive" ? std::vector<std::pair<Mode, std::string>>{{Mode::every_call, ""}}
                          : std::vector<std::pair<Mode, std::string>>{{Mode::hit, "/hit"}, {Mode::miss, "/miss"}};
      for (const auto& [mode, suffix] : modes) {
        auto* b = benchmark::RegisterBenchmark(
            fmt::format("{}/{}{}", name_of(lookup), name, suffix).c_str(),
            [&config, lookup, name, mode = mode](benchmark::State& st) { run_lookup(st, config, lookup, name, mode); });
        // Real time: the naive and miss paths wait for the servers.
        b->UseRealTime()->Unit(mode == Mode::hit && name == "in_process" ? benchmark::kNanosecond : benchmark::kMicrosecond);
        if (mode == Mode::hit && name == "in_process") b->ThreadRange(1, 2);
        if (config.goals) bench::with_certbench_median(b);
      }
    }
  }
  for (auto name : harness::certificate_data_implementations()) {
    auto* b = benchmark::RegisterBenchmark(fmt::format("prepare_certificate_data/{}", name).c_str(),
                                           [&config, name](benchmark::State& st) { run_certificate_data(st, config, name); });
    b->UseRealTime()->Unit(benchmark::kNanosecond);
    if (config.goals) bench::with_certbench_median(b);
  }
}

// Judges the claims table's caching goals on this run's figures, and says which cache a team should pick.
void print_goals(const bench::CollectingReporter& r) {
  // Names as Google Benchmark prints them: ".../real_time", threads last.
  auto ns = [&](std::string name) {
    if (name.ends_with("/threads:1")) name.insert(name.size() - 10, "/real_time");
    else name += "/real_time";
    return r.median_ns(name);
  };
  bench::judge_goals(r, "the caching goals (medians over this run's repetitions, judged by results/claims.json):");
  std::FILE* out = r.notes();
  const auto hit = ns("get_template_by_id/in_process/hit/threads:1");
  const auto naive = ns("get_template_by_id/naive");
  const auto redis_hit = ns("get_template_by_id/redis/hit");
  if (!hit || !naive || !redis_hit) return;
  fmt::print(out, "\nRedis vs PostgreSQL on loopback, side by side:\n");
  for (std::string path : {"get_template_by_id", "get_public_templates", "spa_by_id"}) {
    auto n = ns(path + "/naive"), rh = ns(path + "/redis/hit"), rm = ns(path + "/redis/miss"),
         ih = ns(path + "/in_process/hit/threads:1"),
         im = ns(path + "/in_process/miss");
    if (!n || !rh || !rm || !ih || !im) continue;
    fmt::print(out, "  {:<22} PostgreSQL {:>7.1f} us | Redis hit {:>7.1f} us ({:.2f}x), miss {:>7.1f} us | "
               "in-process hit {:>6.1f} ns, miss {:>7.1f} us\n",
               path, *n / 1000, *rh / 1000, *n / *rh, *rm / 1000, *ih, *im / 1000);
  }
  const double redis_gain = *naive / *redis_hit;
  fmt::print(out, "\nwhich to pick: ");
  fmt::print(out,
      "an in-process cache — a hit costs {:.0f} ns against {:.1f} us for a Redis hit, because a Redis hit is "
      "still a loopback round trip (here {:.2f}x {} than asking PostgreSQL for the same row by primary key). "
      "Take Redis when several processes must share entries and see one invalidation, or when the cached set "
      "outgrows a process; not for speed.\n",
      *hit, *redis_hit / 1000, redis_gain >= 1 ? redis_gain : 1 / redis_gain, redis_gain >= 1 ? "faster" : "slower");
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  std::optional<db::EmbeddedPostgres> cluster;
  std::optional<redis::EmbeddedRedis> redis_server;
  const bench::Program program{
      "bench_caching",
      {{"dsn", [&](std::string_view v) { config.dsn = v; }},
       {"scale", [&](std::string_view v) { config.scale = std::stoull(std::string(v)); }},
       {"redis", [&](std::string_view v) { config.redis_url = v; }},
       {"goals", [&](std::string_view) { config.goals = true; }, false},
       {"results", [&](std::string_view v) { config.results = v; }}},
      [&] {
        if (config.dsn.empty()) {  // on our own: a throwaway cluster with the dataset
          cluster = db::EmbeddedPostgres::start_throwaway();
          config.dsn = cluster->dsn();
          fixtures::SeedOptions o;
          o.spec = {config.scale, 42, fixtures::IndexSet::best};
          o.schema = config.schema();
          fixtures::seed(config.dsn, o);
        }
        if (config.redis_url.empty()) {
          redis_server = redis::EmbeddedRedis::start();
          config.redis = redis_server->endpoint();
        } else {
          config.redis = redis::Endpoint::parse(config.redis_url);
        }
      },
      [&] { register_all(config); },
      [&](const bench::CollectingReporter& reporter) {
        if (config.goals) print_goals(reporter);
        if (!config.results.empty()) bench::write_results(reporter, config.dsn, config.results);
      }};
  return bench::run_main(program, argc, argv);
}
