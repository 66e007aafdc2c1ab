#pragma once
#include <string_view>

namespace certbench {
/// The project version from CMakeLists.txt, e.g. "0.1.0".
std::string_view version() noexcept;
/// The git commit the sources were at when this binary was built ("" outside a git checkout).
/// Read again at every build.
std::string_view git_commit() noexcept;
/// True when the work tree's tracked files differed from that commit at the build: the binary
/// was built from changes no commit holds.
bool git_dirty() noexcept;
}  // namespace certbench
