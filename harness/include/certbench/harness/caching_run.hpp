#pragma once
// The caching and derived-data measurements of `certbench run` (docs/caching.md): for each path, every
// variant — the database on every call, in-process and Redis hits and misses, prepare_certificate_data
// naive and precomputed — in interleaved rounds, so that drift on a shared machine hits all alike.
// Calls that take nanoseconds are timed in batches (one clock reading per batch); misses one by
// one, each after the cache was dropped (outside the timing).
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/harness/server_counts.hpp"
#include "certbench/redis/client.hpp"

namespace certbench::harness {

struct CachingMeasurement {
  std::string path;     ///< "get_template_by_id", "get_public_templates", "spa_by_id", "prepare_certificate_data"
  std::string variant;  ///< "naive", "in_process", "redis", "precomputed"
  std::string mode;     ///< "hit", "miss", or "" (no cache)
  std::vector<double> ns_per_call;  ///< one per batch (the batch's mean)
  std::vector<double> cpu_ns_per_call;  ///< the thread's CPU time of the same batches, per call …
  std::vector<double> statement_cpu_ns_per_call;  ///< … of which inside the database wrapper's calls
  double db_round_trips = 0;        ///< per call
  double redis_round_trips = 0;     ///< per call
  double hits = 0, misses = 0;      ///< per call, from the variant's own counters (none for naive)
  std::size_t batch = 1;            ///< calls per sample (one clock reading each)
  /// What PostgreSQL counted per call (pg_stat_statements) over calls run alone after the rounds,
  /// for variants that reach the database (db_round_trips > 0); std::nullopt otherwise or where
  /// the server does not offer the view.
  std::optional<ServerCounts> server;
  /// Why its figures are not to be kept ("" = measured): Redis failed while a redis variant was
  /// measured, and this says how many of its lookups fell back to the database (so the figures
  /// timed something else).
  std::string failure;
};

struct CachingRunSpec {
  std::string dsn;
  std::string schema;
  redis::Endpoint redis;
  std::chrono::milliseconds budget_per_function{1500};
  unsigned min_rounds = 9;  ///< each variant at least this many samples, whatever the budget
  bool reference = true;    ///< get_template_by_id, get_public_templates, spa_by_id
  bool derived = true;      ///< prepare_certificate_data
};

/// Every variant of every path; Redis failing does not stop it: the redis variants measured while
/// it was down come back with a `failure` and the rest is measured as planned.
std::vector<CachingMeasurement> measure_caching(const CachingRunSpec& spec,
                                                const std::function<void(std::string_view)>& progress = {});

}  // namespace certbench::harness
