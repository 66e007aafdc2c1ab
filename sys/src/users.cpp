#include "certbench/sys/users.hpp"

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>

#include "certbench/core/errors.hpp"

namespace certbench::sys {

bool running_as_root() noexcept { return geteuid() == 0; }

std::optional<UserIdentity> postgres_run_as() {
  if (!running_as_root()) return std::nullopt;
  const char* env = std::getenv("CERTBENCH_PG_USER");
  std::string name = env != nullptr && *env != '\0' ? env : "nobody";
  const passwd* pw = getpwnam(name.c_str());
  if (pw == nullptr)
    throw EnvironmentError("running as root, PostgreSQL needs an unprivileged user, but user '" +
                           name + "' does not exist (set CERTBENCH_PG_USER)");
  if (pw->pw_uid == 0)
    throw EnvironmentError("CERTBENCH_PG_USER='" + name + "' is root; PostgreSQL refuses to run as root");
  return UserIdentity{name, pw->pw_uid, pw->pw_gid};
}

}  // namespace certbench::sys
