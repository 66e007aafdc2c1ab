// certbench db up|status|down: the persistent embedded cluster.
#include <fmt/format.h>

#include "certbench/db/embedded_postgres.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace {
std::filesystem::path data_dir_of(const DbArgs& args) {
  return args.data_dir.empty() ? db::EmbeddedPostgres::default_data_dir()
                               : std::filesystem::path(args.data_dir);
}
}  // namespace

int db_up(const DbArgs& args) {
  const auto dir = data_dir_of(args);
  const bool was_running = db::EmbeddedPostgres::status(dir).has_value();
  auto cluster = db::EmbeddedPostgres::up(dir);
  note(fmt::format("{} embedded PostgreSQL in {} on 127.0.0.1:{} (stop it with: certbench db down{})",
                   was_running ? "reusing" : "started", cluster.info().data_dir.string(),
                   cluster.info().port, args.data_dir.empty() ? "" : " --data-dir " + args.data_dir));
  fmt::print("{}\n", cluster.dsn());  // the only line on stdout: DSN=$(certbench db up)
  return 0;
}

int db_status(const DbArgs& args) {
  const auto dir = data_dir_of(args);
  if (auto info = db::EmbeddedPostgres::status(dir)) {
    fmt::print("running: {} (pid {}, data directory {})\n", info->dsn, info->postmaster_pid,
               info->data_dir.string());
    return 0;
  }
  fmt::print("stopped: no embedded PostgreSQL is running in {}\n", std::filesystem::absolute(dir).string());
  return 3;
}

int db_down(const DbArgs& args) {
  const auto dir = data_dir_of(args);
  if (db::EmbeddedPostgres::down(dir))
    fmt::print("stopped the embedded PostgreSQL in {}\n", std::filesystem::absolute(dir).string());
  else
    fmt::print("not running: no embedded PostgreSQL in {}\n", std::filesystem::absolute(dir).string());
  return 0;
}

Command add_db(CLI::App& app) {
  auto args = std::make_shared<DbArgs>();
  auto* db = app.add_subcommand("db", "manage the persistent embedded PostgreSQL cluster");
  db->require_subcommand(1);
  auto* up = db->add_subcommand("up", "start (or reuse) it; prints its connection string as the only line on stdout");
  auto* status = db->add_subcommand("status", "say whether it runs (exit 0) or not (exit 3)");
  auto* down = db->add_subcommand("down", "stop it (the data directory stays)");
  for (auto* sub : {up, status, down})
    sub->add_option("--data-dir", args->data_dir,
                    "data directory (default: $CERTBENCH_DATA_DIR or /var/tmp/certbench-UID/pgdata)")
        ->type_name("DIR");
  return {db, [args, up, status] {
            if (*up) return db_up(*args);
            if (*status) return db_status(*args);
            return db_down(*args);
          }};
}

}  // namespace certbench::cli
