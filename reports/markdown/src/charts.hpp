#pragma once
// The report's charts as gnuplot scripts, and their rendering (one gnuplot process for all).
#include <filesystem>
#include <string>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::reports::detail {

struct Chart {
  std::string name;    ///< file stem: charts/<name>.svg and .png
  std::string title;   ///< the report's caption
  std::string script;  ///< gnuplot commands that draw it (datablocks inline), after terminal and output
};

/// Every chart the run has figures for.
std::vector<Chart> charts_of(const results::Run& run);

/// Renders each chart as charts_dir/<name>.svg and .png; returns the files. Throws
/// EnvironmentError when gnuplot is missing or fails.
std::vector<std::filesystem::path> render(const std::vector<Chart>& charts, const std::filesystem::path& charts_dir);

}  // namespace certbench::reports::detail
