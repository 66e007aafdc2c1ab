#pragma once
// Where a run ran: the machine, the PostgreSQL server and its settings that move the figures, and
// Redis — read, never typed in, for results.json's environment.
#include <optional>
#include <string>

#include "certbench/redis/client.hpp"
#include "certbench/results/run.hpp"

namespace certbench::harness {

/// The PostgreSQL settings recorded with every run (they change plans and timings).
inline constexpr const char* kReportedSettings[] = {
    "shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit",
    "max_parallel_workers_per_gather", "synchronous_commit", "fsync", "effective_io_concurrency",
    "shared_preload_libraries"};

/// Fills the machine's part of `env`: certbench's version and commit, CPU, cores, kernel, host.
void describe_machine(results::Environment& env);

/// Fills the machine's and the servers' parts of `env` (certbench's version and commit, CPU,
/// cores, kernel, host, PostgreSQL version and settings, Redis version when `redis` is given).
/// Throws ConnectionError if PostgreSQL cannot be reached; a Redis that does not answer leaves its
/// version "unreachable".
void describe_environment(results::Environment& env, const std::string& dsn,
                          const std::optional<redis::Endpoint>& redis);

/// Now, as ISO 8601 UTC ("2026-11-30T09:26:00Z").
std::string utc_now();

}  // namespace certbench::harness
