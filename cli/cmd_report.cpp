// certbench report RESULTS.json [--out DIR]: report.md and its charts from a results file, without
// a database — the same sink `certbench run` calls after measuring.
#include <fmt/format.h>

#include <chrono>

#include "certbench/reports/markdown.hpp"
#include "certbench/results/json.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace certbench::cli {

int report(const ReportArgs& args) {
  const auto run = results::load(args.results);
  const auto dir = args.out.empty() ? std::filesystem::path(args.results).parent_path() : std::filesystem::path(args.out);
  const auto t0 = std::chrono::steady_clock::now();
  const auto files = reports::write_report(run, dir.empty() ? std::filesystem::path(".") : dir);
  note(fmt::format("report in {} ({} charts, {:.2f} s)", files.markdown.string(), files.charts.size() / 2,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
  if (!run.complete) note("the run was incomplete: " + run.failure + " (the report says so at the top)");
  return 0;
}

}  // namespace certbench::cli
