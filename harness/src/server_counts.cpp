#include "certbench/harness/server_counts.hpp"

#include <fmt/format.h>

#include "certbench/db/connection.hpp"

namespace certbench::harness {

ServerStatements::ServerStatements(const std::string& dsn) : connection_(std::make_unique<db::Connection>(dsn)) {
  // Where the extension lives in this database, if it does (the search path may not reach it).
  auto where = connection_->exec(
      "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
      "WHERE e.extname = 'pg_stat_statements'");
  if (where.rows() == 0) return;
  const std::string view = std::string(where.text(0, 0)) + ".pg_stat_statements";
  // Installed but unreadable (the library not preloaded, or no privilege): no figures.
  try {
    connection_->exec(fmt::format("SELECT count(*) FROM {}", view));
  } catch (const std::exception&) {
    return;
  }
  view_ = view;
  // Planning is timed only with track_planning on; otherwise total_plan_time stays 0, which is
  // not a measurement of nothing.
  auto tracking = connection_->exec("SELECT current_setting('pg_stat_statements.track_planning', true)");
  track_planning_ = tracking.get(0, 0) == std::optional<std::string_view>("on");
}

ServerStatements::~ServerStatements() = default;

ServerStatements::Totals ServerStatements::totals() {
  // This user's statements in this database; the snapshot's own statement (the only one naming
  // the view) is left out.
  auto r = connection_->exec(fmt::format(
      "SELECT coalesce(sum(calls), 0), coalesce(sum(shared_blks_hit + shared_blks_read), 0), "
      "coalesce(sum(total_exec_time), 0), coalesce(sum(total_plan_time), 0) FROM {0} "
      "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "AND userid = (SELECT oid FROM pg_roles WHERE rolname = current_user) "
      "AND query NOT LIKE '%pg_stat_statements%'",
      view_));
  return {std::stod(std::string(r.text(0, 0))), std::stod(std::string(r.text(0, 1))),
          std::stod(std::string(r.text(0, 2))), std::stod(std::string(r.text(0, 3)))};
}

std::optional<ServerCounts> ServerStatements::per_call(const std::function<void()>& call, unsigned calls) {
  if (!available() || calls == 0) return std::nullopt;
  const auto before = totals();
  for (unsigned i = 0; i < calls; ++i) call();
  const auto after = totals();
  const double n = calls;
  ServerCounts out{(after.calls - before.calls) / n, (after.buffers - before.buffers) / n,
                   (after.exec_ms - before.exec_ms) / n / 1e3, std::nullopt};
  if (track_planning_) out.plan_seconds = (after.plan_ms - before.plan_ms) / n / 1e3;
  return out;
}

std::optional<ServerTime> ServerStatements::time_so_far() {
  if (!available()) return std::nullopt;
  const auto t = totals();
  ServerTime out{t.exec_ms / 1e3, std::nullopt};
  if (track_planning_) out.plan_seconds = t.plan_ms / 1e3;
  return out;
}

}  // namespace certbench::harness
