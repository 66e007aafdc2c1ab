#pragma once
// What the server itself counted for a call, read from pg_stat_statements around a few calls of
// one subject run alone: statements executed, shared buffers touched (hit + read), execution
// time and (where the server tracks it) planning time, per call. The clock-free cost of a database path as the server sees it — a returning N+1
// shows in the statements, a dropped index in the buffers — for the gate's tier 1 and the series.
//
// pg_stat_statements counts per (user, database, statement) across the cluster, not per session,
// so calls are attributed by running one subject at a time and diffing the sums of this user in
// this database (the snapshot's own statement left out). The embedded cluster preloads the module
// and creates the extension; on another server the figures are absent when it is not installed or
// not readable — never estimated.
//
// Thread safety: one ServerStatements per thread (it owns a connection).
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace certbench::db {
class Connection;
}

namespace certbench::harness {

struct ServerCounts {
  double statements = 0;      ///< statements the server executed per call (BEGIN and COMMIT included)
  double shared_buffers = 0;  ///< shared_blks_hit + shared_blks_read per call
  double exec_seconds = 0;    ///< the server's execution time per call (total_exec_time)
  /// The server's planning time per call (total_plan_time); std::nullopt unless the server tracks
  /// planning (pg_stat_statements.track_planning, on in the embedded cluster).
  std::optional<double> plan_seconds;
};

/// The server's time so far for this user in this database: cumulative, to be diffed around calls.
struct ServerTime {
  double exec_seconds = 0;
  std::optional<double> plan_seconds;  ///< std::nullopt unless the server tracks planning

  /// The time between two readings: planning only when both have it.
  friend ServerTime operator-(const ServerTime& after, const ServerTime& before) noexcept {
    ServerTime d{after.exec_seconds - before.exec_seconds, std::nullopt};
    if (after.plan_seconds && before.plan_seconds) d.plan_seconds = *after.plan_seconds - *before.plan_seconds;
    return d;
  }
};

class ServerStatements {
 public:
  /// Opens its own connection to `dsn`; available() says whether pg_stat_statements can be read.
  explicit ServerStatements(const std::string& dsn);
  ~ServerStatements();
  ServerStatements(const ServerStatements&) = delete;
  ServerStatements& operator=(const ServerStatements&) = delete;

  [[nodiscard]] bool available() const noexcept { return !view_.empty(); }

  /// Runs `call` `calls` times (nothing else may use this database meanwhile) and returns what the
  /// server counted, per call; std::nullopt when pg_stat_statements is not available.
  std::optional<ServerCounts> per_call(const std::function<void()>& call, unsigned calls);

  /// The cumulative planning and execution time so far (one statement on this object's own
  /// connection, not counted); std::nullopt when pg_stat_statements is not available. Diffed around
  /// calls that nothing else runs beside, it is their server time — in the same window as their
  /// clocks (harness/rounds.hpp reads it around a slow subject's timed calls).
  std::optional<ServerTime> time_so_far();

 private:
  struct Totals {
    double calls = 0, buffers = 0, exec_ms = 0, plan_ms = 0;
  };
  Totals totals();

  std::unique_ptr<db::Connection> connection_;
  std::string view_;  ///< the view's qualified name; empty when not available
  bool track_planning_ = false;
};

}  // namespace certbench::harness
