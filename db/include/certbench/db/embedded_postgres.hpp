#pragma once
// certbench's own PostgreSQL cluster (docs/embedded-postgres.md): initdb and postgres from the
// Debian packages, run as an unprivileged user when certbench runs as root, listening on a free
// loopback port with a private socket directory, pg_stat_statements preloaded.
//
// Two lifetimes:
//  - throwaway: a fresh cluster in /tmp/certbench-pg-XXXXXX, stopped and deleted by stop(), the
//    destructor, or a SIGINT/SIGTERM/SIGHUP (sys/shutdown.hpp). If certbench is killed outright,
//    the postmaster gets SIGQUIT from the kernel (parent-death signal) and the next start removes
//    the directory it left (clean_stale_clusters).
//  - persistent: a data directory that survives (`certbench db up`); the destructor leaves it
//    running, `down()` stops it.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace certbench::db {

struct ClusterInfo {
  std::filesystem::path data_dir;
  int port = 0;
  pid_t postmaster_pid = 0;
  std::string dsn;  ///< postgresql://certbench@127.0.0.1:PORT/postgres
};

class EmbeddedPostgres {
 public:
  /// initdb + start a throwaway cluster; first removes clusters left behind by killed runs, and
  /// tells `note` if there were any.
  static EmbeddedPostgres start_throwaway(const std::function<void(std::string_view)>& note = {});

  /// Starts the persistent cluster in `data_dir` (initdb first if it is empty or missing), or
  /// reuses it if it is already running. Refuses a directory certbench did not create.
  static EmbeddedPostgres up(const std::filesystem::path& data_dir);

  /// The running persistent cluster in `data_dir`, if any.
  static std::optional<ClusterInfo> status(const std::filesystem::path& data_dir);

  /// Stops the persistent cluster in `data_dir`; false if it was not running.
  static bool down(const std::filesystem::path& data_dir);

  /// The default persistent data directory: $CERTBENCH_DATA_DIR, else /var/tmp/certbench-UID/pgdata.
  static std::filesystem::path default_data_dir();

  /// Removes throwaway clusters whose certbench process is gone; returns how many.
  static int clean_stale_clusters();

  /// Where throwaway clusters live (/tmp, or $CERTBENCH_TMPDIR).
  static std::filesystem::path throwaway_parent();

  ~EmbeddedPostgres();
  EmbeddedPostgres(EmbeddedPostgres&&) noexcept;
  EmbeddedPostgres& operator=(EmbeddedPostgres&&) noexcept;

  [[nodiscard]] const ClusterInfo& info() const noexcept;
  [[nodiscard]] const std::string& dsn() const noexcept { return info().dsn; }
  [[nodiscard]] bool throwaway() const noexcept;

  /// Throwaway: stop the server and delete its directory. Persistent: no-op (use down()).
  /// Idempotent and thread-safe (a shutdown signal may call it from another thread).
  void stop() noexcept;

 private:
  struct State;
  explicit EmbeddedPostgres(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace certbench::db
