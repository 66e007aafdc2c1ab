#pragma once
// Test support: real embedded PostgreSQL clusters and the real certbench binary.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "certbench/db/embedded_postgres.hpp"
#include "certbench/sys/process.hpp"

namespace certbench::testing {

/// One throwaway cluster for the whole test process, started on first use.
db::EmbeddedPostgres& shared_cluster();

/// Runs the certbench binary with `args`; libpq's variables and DATABASE_URL are removed from its
/// environment so it never wanders off to a server the test did not choose.
sys::RunResult run_certbench(const std::vector<std::string>& args,
                             const std::vector<std::string>& extra_env = {});

/// Starts the certbench binary in the background (same environment rules); returns its pid.
pid_t spawn_certbench(const std::vector<std::string>& args, const std::string& output_path);

/// md5 of every table's rows in `schema` (ordered by primary key), by table name.
std::map<std::string, std::string> table_checksums(const std::string& dsn, const std::string& schema);

/// The throwaway directories whose owner file names `pid`: its embedded PostgreSQL clusters and
/// Redis servers, and its folders of saved files (certbench-pg-*, certbench-redis-*,
/// certbench-saves-* under sys::throwaway_parent()).
std::vector<std::string> throwaway_dirs_of(pid_t pid);

/// Waits for a child certbench; std::nullopt when it has not ended within `seconds`.
std::optional<int> exit_within(pid_t pid, double seconds);

/// A process working in `dir` (redis-server chdirs into its --dir, and rewrites its command line).
std::optional<pid_t> process_in(const std::string& dir);

/// Polls `condition` every 20 ms for up to `seconds`; true once it holds.
template <typename Condition>
bool eventually(Condition condition, double seconds = 60);

}  // namespace certbench::testing

#include <chrono>
#include <thread>

template <typename Condition>
bool certbench::testing::eventually(Condition condition, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}
