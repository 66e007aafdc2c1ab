#pragma once
// The report sink: report.md (GitHub-flavoured, readable in $GITHUB_STEP_SUMMARY) and its charts,
// drawn by gnuplot as SVG (linked from the report) and PNG (for what cannot show SVG), from the
// results model only:
//   1. headline: the review's claims judged, with measured figures and intervals; the three largest
//      deltas;
//   2. every path family: naive against every other implementation, with the deltas' intervals;
//      caching with which cache to choose; file saves beside the disk's ceiling;
//   3. how cost grows (after --full): the fitted growth order;
//   4. why: the statements each implementation ran, as PostgreSQL executed them;
//   5. the environment and the command that reproduces the run;
//   6. with `run --profile`, links to the profiles beside it (dir/profile/).
//
// Thread safety: writes files in `dir`; one call at a time per directory.
#include <filesystem>
#include <string>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::reports {

struct ReportFiles {
  std::filesystem::path markdown;             ///< dir/report.md
  std::vector<std::filesystem::path> charts;  ///< dir/charts/*.svg and *.png
};

/// Writes report.md and charts/ into `dir` (made if missing; files replaced atomically). Throws
/// EnvironmentError when gnuplot is missing or fails, or a file cannot be written.
ReportFiles write_report(const results::Run& run, const std::filesystem::path& dir);

/// The Markdown alone, with chart links to `charts` (relative to the report).
std::string report_markdown(const results::Run& run, const std::vector<std::string>& chart_names);

}  // namespace certbench::reports
