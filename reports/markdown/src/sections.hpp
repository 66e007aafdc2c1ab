#pragma once
// The report's sections that live in files of their own, each a function of the results model
// (and of the charts drawn, which a section links when its chart exists). Internal.
#include <string>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::reports::detail {

/// "Where the time goes": each listing, caching and derived call split into client CPU, the
/// server's planning and execution, and waiting (results/anatomy.hpp).
std::string anatomy_section(const results::Run& run, const std::vector<std::string>& charts);

}  // namespace certbench::reports::detail
