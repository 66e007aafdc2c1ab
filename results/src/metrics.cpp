#include "certbench/results/metrics.hpp"

#include <array>

namespace certbench::results {
namespace {

constexpr std::array kMetrics{
    MetricInfo{Metric::latency, "latency", "seconds", "time per call", Better::lower},
    MetricInfo{Metric::peak_heap, "peak_heap", "bytes", "the most heap one call held, libpq's mallocs included",
               Better::lower},
    MetricInfo{Metric::allocations, "allocations", "count", "allocations one call made, libpq's mallocs included",
               Better::lower},
    MetricInfo{Metric::bytes_allocated, "bytes_allocated", "bytes",
               "bytes one call allocated, freed or not (jemalloc's usable sizes)", Better::lower},
    MetricInfo{Metric::round_trips, "round_trips", "count",
               "database round trips per call: times the client sent and waited for the server", Better::lower},
    MetricInfo{Metric::rows_received, "rows_received", "count", "result rows received per call", Better::lower},
    MetricInfo{Metric::bytes_received, "bytes_received", "bytes", "result bytes received per call", Better::lower},
    MetricInfo{Metric::db_round_trips, "db_round_trips", "count", "database round trips per call", Better::lower},
    MetricInfo{Metric::redis_round_trips, "redis_round_trips", "count", "Redis round trips per call", Better::lower},
    MetricInfo{Metric::throughput, "throughput", "per_second", "successful requests per second", Better::higher},
    MetricInfo{Metric::event_loop_lag, "event_loop_lag", "seconds", "how late a 1 ms timer fired on the event loop",
               Better::lower},
    MetricInfo{Metric::event_loop_lag_p99, "event_loop_lag_p99", "seconds",
               "the event-loop lag's p99 in one repetition of a load", Better::lower},
    MetricInfo{Metric::concurrency_reached, "concurrency_reached", "count", "requests in flight at once, the most seen",
               Better::neither},
    MetricInfo{Metric::requests, "requests", "count", "requests completed in the measured window", Better::neither},
    MetricInfo{Metric::failures, "failures", "count", "requests that failed", Better::lower},
    MetricInfo{Metric::process_heap, "process_heap", "bytes", "the most heap the process held during a load",
               Better::lower},
    MetricInfo{Metric::files_written, "files_written", "count", "files saved in the measured window", Better::neither},
    MetricInfo{Metric::batch, "batch", "count", "calls timed together per latency sample", Better::neither},
    MetricInfo{Metric::cache_hits, "cache_hits", "count", "lookups a cache answered itself, per call", Better::higher},
    MetricInfo{Metric::cache_misses, "cache_misses", "count", "lookups a cache had to load or wait for, per call",
               Better::lower},
    MetricInfo{Metric::pool_sessions, "pool_sessions", "count", "database sessions in the driver's pool",
               Better::neither},
    MetricInfo{Metric::pool_in_use, "pool_in_use", "count", "the pool's sessions held, averaged over the window",
               Better::neither},
    MetricInfo{Metric::pool_in_use_max, "pool_in_use_max", "count", "the most of the pool's sessions held at once",
               Better::neither},
    MetricInfo{Metric::pool_wait, "pool_wait", "seconds", "how long a request waited for a session of the pool",
               Better::lower},
    MetricInfo{Metric::server_statements, "server_statements", "count",
               "statements the server executed per call (pg_stat_statements)", Better::lower},
    MetricInfo{Metric::shared_buffers, "shared_buffers", "count",
               "shared buffers a call touched, hit + read (pg_stat_statements)", Better::lower},
    MetricInfo{Metric::server_execution, "server_execution", "seconds",
               "the server's execution time of one call's statements (pg_stat_statements)", Better::lower},
    MetricInfo{Metric::statements, "statements", "count",
               "database statements executed per call (a pipeline sends several in one round trip)", Better::lower},
    MetricInfo{Metric::index_size_bytes, "index_size_bytes", "bytes", "an index's size on disk (pg_relation_size)",
               Better::lower},
    MetricInfo{Metric::index_build_seconds, "index_build_seconds", "seconds", "the time one CREATE INDEX took",
               Better::lower},
    MetricInfo{Metric::index_scans, "index_scans", "count",
               "scans of an index during the listings' counted calls (pg_stat_user_indexes.idx_scan)", Better::neither},
    MetricInfo{Metric::insert_rate, "insert_rate", "per_second",
               "rows inserted per second into a certificate table (a rolled-back batch)", Better::higher},
    MetricInfo{Metric::client_cpu, "client_cpu", "seconds",
               "the calling thread's CPU time per call outside the database wrapper's calls: decoding, sorting, "
               "building the result (CLOCK_THREAD_CPUTIME_ID)",
               Better::lower},
    MetricInfo{Metric::statement_cpu, "statement_cpu", "seconds",
               "the calling thread's CPU time per call inside the database wrapper's calls: libpq sending, receiving "
               "and parsing, overlapping the server's work (part of waiting)",
               Better::lower},
    MetricInfo{Metric::server_planning, "server_planning", "seconds",
               "the server's planning time of one call's statements (pg_stat_statements, track_planning)",
               Better::lower},
    MetricInfo{Metric::waiting, "waiting", "seconds",
               "time per call outside the client's own CPU and the server's planning and execution: round trips, "
               "libpq, the kernel, scheduling",
               Better::lower},
    MetricInfo{Metric::decode_cpu, "decode_cpu", "seconds",
               "the part of client_cpu per call spent decoding result rows into certificates, where the "
               "implementation marks it (CLOCK_THREAD_CPUTIME_ID around its decoding loop)",
               Better::lower},
    MetricInfo{Metric::latency_p50, "latency_p50", "seconds", "the median response time of one window of an HTTP load",
               Better::lower},
    MetricInfo{Metric::latency_p90, "latency_p90", "seconds", "the p90 response time of one window of an HTTP load",
               Better::lower},
    MetricInfo{Metric::latency_p99, "latency_p99", "seconds", "the p99 response time of one window of an HTTP load",
               Better::lower},
    MetricInfo{Metric::latency_p999, "latency_p999", "seconds",
               "the p99.9 response time of one window of an HTTP load", Better::lower},
    MetricInfo{Metric::response_bytes, "response_bytes", "bytes", "bytes of an HTTP response's body (its JSON)",
               Better::lower},
    MetricInfo{Metric::offered_rate, "offered_rate", "per_second",
               "requests per second an open-loop load's schedule offered", Better::neither},
    MetricInfo{Metric::server_time, "server_time", "seconds",
               "the mean time a request of an HTTP load's window spent in the server: queued for a worker and a "
               "session, then its listing and JSON (the sums of its answers' Server-Timing)",
               Better::lower},
    MetricInfo{Metric::resident_bytes, "resident_bytes", "bytes",
               "bytes resident in the process serving the API at the end of an HTTP load's window (VmRSS)",
               Better::neither},
};

}  // namespace

std::span<const MetricInfo> metrics() noexcept { return kMetrics; }

const MetricInfo& info(Metric metric) noexcept {
  for (const auto& m : kMetrics)
    if (m.metric == metric) return m;
  return kMetrics.front();  // unreachable: every enumerator is in the table (tested)
}

std::string_view name(Metric metric) noexcept { return info(metric).name; }

std::optional<Metric> parse_metric(std::string_view name) noexcept {
  for (const auto& m : kMetrics)
    if (m.name == name) return m.metric;
  return std::nullopt;
}

}  // namespace certbench::results
