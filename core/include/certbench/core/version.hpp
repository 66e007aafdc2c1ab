#pragma once
#include <string_view>

namespace certbench {
/// The project version from CMakeLists.txt, e.g. "0.1.0".
std::string_view version() noexcept;
}  // namespace certbench
