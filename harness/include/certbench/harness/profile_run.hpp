#pragma once
// The profile of one listing path: the path alone, in a loop, through the same code the
// measurement uses (open_listing_session, ListingFunctions::list), sampled by Linux perf — the thread
// that makes the calls, and the PostgreSQL backends serving its sessions — each as its own
// recording, only while the loop runs (perf starts with its events disabled and is switched on
// and off through its control FIFO). Then one call with its statements captured, each run again
// under EXPLAIN (ANALYZE, BUFFERS). What it returns is perf script's text: turning it into folded
// stacks and flame graphs is the reports' business (reports/flamegraph).
//
// Thread safety: runs on the calling thread (the thread perf samples) with sessions of its own.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "certbench/core/listing.hpp"
#include "certbench/db/connection.hpp"

namespace certbench::harness {

struct ProfileSpec {
  std::string dsn;
  std::string schema;
  Listing listing = Listing::public_certificates;
  std::vector<std::string> impls{"limited"};  ///< each profiled in turn, on sessions of its own
  std::int64_t user = -1;                       ///< the user listing's user; -1: the busiest owner
  PageRequest page{1, 20, std::nullopt};
  std::chrono::milliseconds duration{5000};     ///< the sampled loop, per implementation
  /// Before it, the same loop unsampled for min(duration, this): the calls/s the sampled loop is
  /// compared with.
  std::chrono::milliseconds reference{2000};
  unsigned frequency = 997;                     ///< samples per second (software event cpu-clock)
  std::string perf;                             ///< the perf program ("" = find_perf())
  std::filesystem::path work_dir;               ///< where perf's data and logs go (must exist)
  bool keep_perf_data = false;                  ///< keep perf's recordings (ProfileSide::recordings)
};

/// One statement the path ran in one call, under EXPLAIN (ANALYZE, BUFFERS): executions with the
/// same SQL grouped (an N+1's lookups are one entry), each execution explained with its own
/// parameters.
struct ExplainedStatement {
  std::string sql;
  std::vector<db::Param> params;  ///< the first execution's
  std::uint64_t executions = 0;
  double server_ms = 0;           ///< execution (EXPLAIN ANALYZE), summed over the executions
  std::string plan;               ///< the first execution's EXPLAIN text
};

struct ProfileSide {
  std::string impl;
  std::int64_t user = 0;               ///< the user listing's user (0 otherwise)
  pid_t client_tid = 0;                ///< the thread sampled
  std::vector<pid_t> backends;         ///< the server processes sampled (several for "parallel")
  std::uint64_t calls = 0;             ///< during the sampled loop
  double seconds = 0;
  std::uint64_t reference_calls = 0;   ///< during the unsampled loop before it
  double reference_seconds = 0;
  std::string client_script;           ///< perf script's output for the client thread
  std::string server_script;           ///< … and for the backends
  std::vector<ExplainedStatement> statements;  ///< in the order first run
  /// With keep_perf_data, perf's recordings in work_dir: <impl>.perf.data (every CPU, where perf may),
  /// else <impl>.client.perf.data and <impl>.server.perf.data.
  std::vector<std::filesystem::path> recordings;
  [[nodiscard]] double calls_per_second() const noexcept { return seconds > 0 ? static_cast<double>(calls) / seconds : 0; }
  [[nodiscard]] double reference_calls_per_second() const noexcept {
    return reference_seconds > 0 ? static_cast<double>(reference_calls) / reference_seconds : 0;
  }
};

/// The perf program: $CERTBENCH_PERF when set, else perf on $PATH; throws EnvironmentError (one
/// line: the cause and the fix) when there is none, or when it does not run on this kernel.
std::string find_perf();

/// Whether perf may sample certbench and the PostgreSQL backend serving `dsn` here (one session
/// is opened to learn its backend's pid): throws EnvironmentError, one line with the cause and the
/// fix, when it may not — what run_profile would find only after a run's measuring.
void check_profile_access(const std::string& dsn);

/// `certbench run --profile`'s profiles: the headline listings (public, admin), naive against
/// limited, each sampled for `seconds` per implementation; work_dir and perf left to the caller.
std::vector<ProfileSpec> headline_profiles(const std::string& dsn, const std::string& schema, double seconds);

/// Profiles spec.impls in turn. Throws EnvironmentError with one line naming the cause and the
/// fix when perf cannot sample here (not installed, perf_event_paranoid, a container, a backend
/// of another user, a server on another machine); UsageError for an unknown implementation;
/// what the database throws. `progress` hears what is under way and the seconds left of it.
std::vector<ProfileSide> run_profile(const ProfileSpec& spec,
                                     const std::function<void(std::string_view, double)>& progress = {});

}  // namespace certbench::harness
