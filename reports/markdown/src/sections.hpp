#pragma once
// The report's sections that live in files of their own, each a function of the results model
// (and of the charts drawn, which a section links when its chart exists). Internal.
#include <filesystem>
#include <string>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::reports::detail {

/// "Where the time goes": each listing, caching and derived call split into client CPU, the
/// server's planning and execution, and waiting (results/anatomy.hpp).
std::string anatomy_section(const results::Run& run, const std::vector<std::string>& charts);

/// "The API over HTTP": each endpoint, implementation and load (family http), "" without one.
std::string http_section(const results::Run& run, const std::vector<std::string>& charts);

/// "Profiles": links to the profiles `certbench run --profile` wrote into dir/profile/ (empty
/// when there are none): each listing's flame graphs, top functions and EXPLAIN, per implementation.
std::string profiles_section(const std::filesystem::path& dir);

}  // namespace certbench::reports::detail
