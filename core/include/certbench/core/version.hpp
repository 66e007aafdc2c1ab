#pragma once
#include <string_view>

namespace certbench {
/// The project version from CMakeLists.txt, e.g. "0.1.0".
std::string_view version() noexcept;
/// The git commit the build was configured at ("" outside a git checkout), with "-dirty" when the
/// work tree had changes then. Re-read at every commit (CMake reconfigures on .git/logs/HEAD).
std::string_view git_commit() noexcept;
}  // namespace certbench
