// The scenarios' figures as results Series (scenarios.hpp: to_series and the records beside them).
#include "certbench/harness/scenarios.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>

#include "certbench/harness/implementations.hpp"
#include "certbench/results/anatomy.hpp"
#include "certbench/results/statistics.hpp"

namespace certbench::harness {
namespace {

using results::Metric;
using results::Series;

std::vector<double> scaled(const std::vector<double>& v, double factor) {
  std::vector<double> out(v.size());
  std::transform(v.begin(), v.end(), out.begin(), [factor](double x) { return x * factor; });
  return out;
}

// The figures of a load on the event loop (or on threads, for the ceiling).
void add_load(Series& s, const LoopLoadResult& l) {
  s.samples[Metric::latency] = scaled(l.latencies_ms, 1e-3);
  if (l.lag_ms.n > 0) {
    s.samples[Metric::event_loop_lag] = scaled(l.lags_ms, 1e-3);
    s.samples[Metric::event_loop_lag_p99] = scaled(l.lag_p99_samples_ms, 1e-3);
  }
  s.samples[Metric::throughput] = l.throughput_samples;
  s.values[Metric::throughput] = l.requests_per_second;
  s.values[Metric::requests] = static_cast<double>(l.requests);
  s.values[Metric::failures] = static_cast<double>(l.failures);
  s.values[Metric::concurrency_reached] = l.max_in_flight;
  if (l.peak_allocated_bytes) s.values[Metric::process_heap] = static_cast<double>(*l.peak_allocated_bytes);
  if (l.pool) {
    s.values[Metric::pool_sessions] = l.pool->sessions;
    s.values[Metric::pool_in_use] = l.pool->mean_in_use;
    s.samples[Metric::pool_in_use] = l.pool->mean_in_use_samples;
    s.values[Metric::pool_in_use_max] = l.pool->max_in_use;
    s.samples[Metric::pool_wait] = scaled(l.pool->waits_ms, 1e-3);
  }
}

// The anatomy of a call (results/anatomy.hpp): per sample, the thread's CPU outside the database
// wrapper's calls (client_cpu) and inside them (statement_cpu); per call, the server's planning and
// execution; and waiting, the rest of the median call. libpq's CPU inside the wrapper overlaps the
// server's work (rows are parsed as they arrive), so it lies within waiting, not beside it.
//
// The server's time comes from the very calls the clocks timed where it was read around them (a
// slow subject: `in_rounds`, per sample: the median of the readings), otherwise from calls run
// alone after the rounds (`alone`, per call).
struct ServerPerSample {
  std::vector<double> exec_seconds, plan_seconds;
};

void add_anatomy(Series& s, const std::vector<double>& cpu_seconds, const std::vector<double>& statement_cpu_seconds,
                 const std::optional<ServerCounts>& alone, const ServerPerSample& in_rounds, bool reaches_server) {
  const auto* latency = s.samples_of(Metric::latency);
  const std::size_t n = cpu_seconds.size();
  if (n == 0 || latency == nullptr || latency->size() != n || statement_cpu_seconds.size() != n) return;
  std::vector<double> own(n);
  for (std::size_t i = 0; i < n; ++i) own[i] = std::max(0.0, cpu_seconds[i] - statement_cpu_seconds[i]);
  s.samples[Metric::client_cpu] = own;
  if (reaches_server) {  // otherwise no statement was sent: the server had no part in the call
    s.samples[Metric::statement_cpu] = statement_cpu_seconds;
    if (in_rounds.exec_seconds.size() == n) {
      s.values[Metric::server_execution] = results::percentile(in_rounds.exec_seconds, 0.5);
      if (in_rounds.plan_seconds.size() == n)
        s.values[Metric::server_planning] = results::percentile(in_rounds.plan_seconds, 0.5);
    } else if (alone && alone->plan_seconds) {
      s.values[Metric::server_planning] = *alone->plan_seconds;
    }
  }
  if (const auto a = results::anatomy_of(s); a && a->waiting) s.values[Metric::waiting] = *a->waiting;
}

}  // namespace

std::vector<Series> to_series(const std::vector<ListingMeasurement>& measurements, std::int64_t page_size,
                              std::uint64_t scale, std::string_view family) {
  std::vector<Series> out;
  for (const auto& m : measurements) {
    Series s;
    s.family = std::string(family);
    s.path = std::string(to_string(m.listing));
    s.implementation = m.impl;
    s.parameters = {{"scale", static_cast<double>(scale)},
                    {"page", static_cast<double>(m.page)},
                    {"size", static_cast<double>(page_size)}};
    if (family == results::family::listing_depth) s.parameters["keyset"] = m.keyset ? 1 : 0;
    s.samples[Metric::latency] = scaled(m.latencies_ms, 1e-3);
    if (!m.peak_heap_bytes.empty()) s.samples[Metric::peak_heap] = m.peak_heap_bytes;
    if (!m.allocations.empty()) s.samples[Metric::allocations] = m.allocations;
    if (!m.bytes_allocated.empty()) s.samples[Metric::bytes_allocated] = m.bytes_allocated;
    s.values[Metric::round_trips] = m.round_trips;
    s.values[Metric::statements] = m.statements;
    s.values[Metric::rows_received] = m.rows_received;
    s.values[Metric::bytes_received] = m.bytes_received;
    if (m.server) {
      s.values[Metric::server_statements] = m.server->statements;
      s.values[Metric::shared_buffers] = m.server->shared_buffers;
      s.values[Metric::server_execution] = m.server->exec_seconds;
    }
    // Decoding is part of client_cpu where every round marked it.
    if (!m.decode_cpu_ms.empty() && m.decode_cpu_ms.size() == m.cpu_ms.size())
      s.samples[Metric::decode_cpu] = scaled(m.decode_cpu_ms, 1e-3);
    add_anatomy(s, scaled(m.cpu_ms, 1e-3), scaled(m.statement_cpu_ms, 1e-3), m.server,
                {scaled(m.server_exec_ms, 1e-3), scaled(m.server_plan_ms, 1e-3)}, true);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Series> to_series(const std::vector<ListingLoopPoint>& points, const ListingLoopSpec& spec,
                              std::uint64_t scale) {
  std::vector<Series> out;
  for (const auto& p : points) {
    Series s;
    s.family = results::family::listing_loop;
    s.path = std::string(to_string(p.listing));
    s.implementation = p.impl;
    s.parameters = {{"scale", static_cast<double>(scale)},
                    {"concurrency", static_cast<double>(p.load.concurrency)},
                    {"sessions", static_cast<double>(spec.sessions)},
                    {"page", static_cast<double>(spec.page.page)},
                    {"size", static_cast<double>(spec.page.size)}};
    add_load(s, p.load);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Series> to_series(const std::vector<CachingMeasurement>& measurements, std::uint64_t scale) {
  std::vector<Series> out;
  for (const auto& m : measurements) {
    if (!m.failure.empty()) continue;  // it timed something else (caching_run.hpp)
    Series s;
    s.family = m.path == "prepare_certificate_data" ? results::family::derived : results::family::caching;
    s.path = m.path;
    s.implementation = m.variant;
    s.mode = m.mode;
    s.parameters = {{"scale", static_cast<double>(scale)}};
    s.samples[Metric::latency] = scaled(m.ns_per_call, 1e-9);
    s.values[Metric::batch] = static_cast<double>(m.batch);
    if (m.server) s.values[Metric::server_execution] = m.server->exec_seconds;
    add_anatomy(s, scaled(m.cpu_ns_per_call, 1e-9), scaled(m.statement_cpu_ns_per_call, 1e-9), m.server, {},
                m.db_round_trips > 0);
    if (s.family == results::family::caching) {
      s.values[Metric::db_round_trips] = m.db_round_trips;
      s.values[Metric::redis_round_trips] = m.redis_round_trips;
      if (m.variant != "naive") {  // naive has no cache to hit or miss
        s.values[Metric::cache_hits] = m.hits;
        s.values[Metric::cache_misses] = m.misses;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Series> to_series(const std::vector<SavePoint>& points, const SaveRunSpec& spec, std::uint64_t scale) {
  std::vector<Series> out;
  for (const auto& p : points) {
    Series s;
    const bool ceiling = p.impl == kWriteCeiling;
    s.family = ceiling ? results::family::ceiling : results::family::file_save;
    s.path = std::string(to_string(p.function));
    s.implementation = p.impl;
    s.parameters = {{"scale", static_cast<double>(scale)},
                    {"concurrency", static_cast<double>(p.load.concurrency)},
                    {"bytes", static_cast<double>(p.function == SaveFunction::base64_image ? spec.image_bytes : spec.file_bytes)},
                    {"fsync", spec.options.fsync ? 1.0 : 0.0},
                    // The pools the implementations may use (each uses its own, naive none): every
                    // series of the run carries them, so each is compared with naive beside it.
                    {"pool_threads", static_cast<double>(spec.options.pool_threads)},
                    {"decode_threads", static_cast<double>(spec.options.decode_threads)}};
    // Absent: recorded (the default), through `record_sessions` database sessions. The ceiling
    // never records; it carries the run's settings so that it is compared with the saves beside it.
    if (spec.record)
      s.parameters["record_sessions"] = static_cast<double>(spec.db_sessions);
    else
      s.parameters["recorded"] = 0;
    add_load(s, p.load);
    s.values[Metric::files_written] = static_cast<double>(p.load.requests - p.load.failures);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Series> to_series(const CompareResult& result, const PageRequest& page, std::uint64_t scale) {
  std::vector<Series> out;
  for (const auto& m : result.pairs)
    for (const bool head : {false, true}) {
      Series s;
      s.family = results::family::compare;
      s.path = std::string(to_string(m.listing));
      s.implementation = m.impl;
      s.mode = head ? "head" : "base";
      s.parameters = {{"scale", static_cast<double>(scale)},
                      {"page", static_cast<double>(page.page)},
                      {"size", static_cast<double>(page.size)}};
      s.samples[Metric::latency] = head ? m.head_seconds : m.base_seconds;
      s.values[Metric::batch] = static_cast<double>(m.batch);
      out.push_back(std::move(s));
    }
  return out;
}

std::vector<Series> to_series(const std::vector<IndexSetResult>& sets, const IndexRunSpec& spec, std::uint64_t scale) {
  std::vector<Series> out;
  for (const auto& set : sets) {
    const std::string mode(fixtures::to_string(set.set));
    // Scans per index over all listings' counted calls.
    std::map<std::string, double> scans;
    for (const auto& m : set.listings)
      for (const auto& [index, n] : m.index_scans) scans[index] += n;
    for (auto s : to_series(set.listings, spec.listing.page.size, scale, results::family::indexes)) {
      s.mode = mode;
      out.push_back(std::move(s));
    }
    for (const auto& b : set.builds) {
      Series s;
      s.family = results::family::index;
      s.path = b.index.table;
      s.implementation = b.index.name;
      s.mode = mode;
      s.parameters = {{"scale", static_cast<double>(scale)}};
      if (set.set == fixtures::IndexSet::best) s.parameters["in_review"] = b.in_other_set ? 1 : 0;
      s.values[Metric::index_size_bytes] = b.size_bytes;
      s.values[Metric::index_build_seconds] = b.seconds;
      s.values[Metric::index_scans] = scans[b.index.name];
      out.push_back(std::move(s));
    }
    for (const auto& w : set.inserts) {
      Series s;
      s.family = results::family::index_writes;
      s.path = w.table;
      s.implementation = "insert";
      s.mode = mode;
      s.parameters = {{"scale", static_cast<double>(scale)}, {"rows", static_cast<double>(w.rows)}};
      s.samples[Metric::insert_rate] = w.rows_per_second;
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::vector<results::IndexUse> index_use_of(const IndexSetResult& set) {
  std::vector<results::IndexUse> out;
  for (const auto& m : set.listings)
    for (const auto& b : set.builds)  // the set's own indexes (keys are scanned too, and not judged)
      if (const auto it = m.index_scans.find(b.index.name); it != m.index_scans.end() && it->second > 0)
        out.push_back({std::string(fixtures::to_string(set.set)), std::string(to_string(m.listing)), m.impl,
                       b.index.name, it->second});
  return out;
}

std::vector<results::Build> builds_of(const CompareResult& result) {
  return {{"base", result.base.binary, result.base.version}, {"head", result.head.binary, result.head.version}};
}

}  // namespace certbench::harness
