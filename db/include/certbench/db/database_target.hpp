#pragma once
// Which PostgreSQL a command runs against, in order of precedence:
//   1. --dsn DSN
//   2. $DATABASE_URL
//   3. libpq's own variables ($PGHOST, $PGPORT, $PGDATABASE, $PGUSER, $PGSERVICE): an empty DSN
//   4. --data-dir DIR: the persistent embedded cluster there, started if needed and left running
//   5. otherwise a throwaway embedded cluster, stopped and deleted when the target goes away.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "certbench/db/embedded_postgres.hpp"

namespace certbench::db {

struct TargetOptions {
  std::string dsn;       ///< --dsn
  std::string data_dir;  ///< --data-dir
};

/// True when a server is named (--dsn, $DATABASE_URL or libpq's variables): rules 1 to 3 above.
bool server_named(const TargetOptions& options);

class DatabaseTarget {
 public:
  /// Resolves (starting an embedded cluster if that is the choice). `note` receives one-line
  /// messages for the user, e.g. "started embedded PostgreSQL on 127.0.0.1:41234".
  static DatabaseTarget resolve(const TargetOptions& options,
                                const std::function<void(std::string_view)>& note);

  [[nodiscard]] const std::string& dsn() const noexcept { return dsn_; }
  /// e.g. "embedded PostgreSQL (throwaway) on 127.0.0.1:41234" or "--dsn".
  [[nodiscard]] const std::string& description() const noexcept { return description_; }
  [[nodiscard]] bool embedded() const noexcept { return cluster_.has_value(); }

 private:
  std::string dsn_;
  std::string description_;
  std::optional<EmbeddedPostgres> cluster_;
};

}  // namespace certbench::db
