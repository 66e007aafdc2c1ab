#pragma once
// The one list of what certbench measures: every metric's name, unit and direction, defined here
// and nowhere else. results.json, the terminal, the report, the Prometheus series and the gate all
// spell a metric by `name` and read its unit from here.
//
// Thread safety: constant data; safe from any thread.
#include <optional>
#include <span>
#include <string_view>

namespace certbench::results {

enum class Metric {
  latency,            ///< seconds per call (samples: one per call, or per batch's mean call)
  peak_heap,          ///< bytes: the most heap one call held above what its thread held before it (exact)
  allocations,        ///< allocations one call made (samples: one per call)
  bytes_allocated,    ///< bytes one call allocated, freed or not (samples: one per call)
  round_trips,        ///< database round trips per call: times the client waited for the server
  rows_received,      ///< result rows per call
  bytes_received,     ///< result bytes per call
  db_round_trips,     ///< database round trips per call of a cached path
  redis_round_trips,  ///< Redis round trips per call
  throughput,         ///< requests per second (samples: one per slice of the window)
  event_loop_lag,     ///< seconds a 1 ms timer fired late on the event loop (samples)
  event_loop_lag_p99, ///< seconds: the lag's p99 of each repetition of a load (samples, one per repetition)
  concurrency_reached,///< requests in flight at once, the most seen
  requests,           ///< requests completed in the measured window
  failures,           ///< requests that failed
  process_heap,       ///< bytes: the most heap the whole process held during a load
  files_written,      ///< files saved in the measured window
  batch,              ///< calls timed together per latency sample (ns-level paths)
  cache_hits,         ///< lookups a cache answered itself, per call
  cache_misses,       ///< lookups a cache had to load (or wait for another's load), per call
  pool_sessions,      ///< database sessions in a driver's pool
  pool_in_use,        ///< sessions held, averaged over the window (samples: one per repetition)
  pool_in_use_max,    ///< the most sessions held at once
  pool_wait,          ///< seconds a request waited for a session (samples: one per request)
  server_statements,  ///< statements the server executed per call (pg_stat_statements)
  shared_buffers,     ///< shared buffers touched per call, hit + read (pg_stat_statements)
  server_execution,   ///< seconds the server spent executing one call's statements (pg_stat_statements)
  statements,         ///< database statements per call, counted by the client (round_trips but for a pipeline)
  index_size_bytes,   ///< bytes an index takes on disk (pg_relation_size)
  index_build_seconds,///< seconds one CREATE INDEX took
  index_scans,        ///< scans of an index during the listings' counted calls (pg_stat_user_indexes.idx_scan)
  insert_rate,        ///< rows inserted per second into a certificate table (samples: one per repetition)
  // The anatomy of the median call: client_cpu + server_planning + server_execution + waiting = latency.
  client_cpu,         ///< seconds of the calling thread's CPU per call outside the database wrapper's calls (samples)
  statement_cpu,      ///< seconds of the calling thread's CPU per call inside them: libpq (samples; within waiting)
  server_planning,    ///< seconds the server spent planning one call's statements (pg_stat_statements)
  waiting,            ///< seconds per call neither on the client's CPU nor in the server's planning and execution
  decode_cpu,         ///< seconds of client_cpu per call spent decoding rows, where the implementation marks it (samples)
  // An HTTP load's response times, as a load generator reports them: one sample per window.
  latency_p50,        ///< seconds: the median response time of one window of an HTTP load
  latency_p90,        ///< seconds: … its p90
  latency_p99,        ///< seconds: … its p99
  latency_p999,       ///< seconds: … its p99.9
  response_bytes,     ///< bytes of an HTTP response's body (the JSON checked before the load)
  offered_rate,       ///< requests per second an open-loop load's schedule offered (throughput: those answered well)
  server_time,        ///< seconds a request spent in the HTTP server, queued and handled (samples: a window's mean)
  resident_bytes,     ///< bytes resident in the serving process at the end of a window (samples)
};

enum class Better { lower, higher, neither };

struct MetricInfo {
  Metric metric;
  std::string_view name;         ///< as in results.json, e.g. "latency"
  std::string_view unit;         ///< base unit: "seconds", "bytes", "count", "per_second"
  std::string_view description;  ///< one line
  Better better;
};

std::span<const MetricInfo> metrics() noexcept;
const MetricInfo& info(Metric metric) noexcept;
std::string_view name(Metric metric) noexcept;
/// The metric named `name`; std::nullopt for an unknown name.
std::optional<Metric> parse_metric(std::string_view name) noexcept;

}  // namespace certbench::results
