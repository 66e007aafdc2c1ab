#pragma once
// How the flame graph and the tables print a share of samples.
#include <fmt/format.h>
#include <string>

namespace certbench::reports::detail {

inline std::string percent(double share) { return fmt::format("{:.1f}%", 100 * share); }

}  // namespace certbench::reports::detail
