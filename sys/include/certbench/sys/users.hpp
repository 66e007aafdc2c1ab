#pragma once
#include <optional>
#include <string>
#include <sys/types.h>

namespace certbench::sys {

struct UserIdentity {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

/// The user PostgreSQL must run as. initdb and postgres refuse to run as root, so when certbench
/// runs as root this is the unprivileged user named by $CERTBENCH_PG_USER (default "nobody");
/// otherwise it is std::nullopt: run as ourselves. Throws EnvironmentError if the user is unknown.
std::optional<UserIdentity> postgres_run_as();

/// True when the current process runs as root.
bool running_as_root() noexcept;

}  // namespace certbench::sys
