// certbench report RESULTS.json [--out DIR] [--textfile PATH]: report.md and its charts (and the
// Prometheus exposition) from a results file, without a database — the sinks `certbench run` calls.
#include <fmt/format.h>

#include <chrono>

#include "certbench/reports/markdown.hpp"
#include "certbench/reports/prometheus.hpp"
#include "certbench/results/json.hpp"
#include "certbench/core/errors.hpp"
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
  if (!args.textfile.empty()) {
    reports::write_textfile(run, args.runner.empty() ? run.environment.host : args.runner, args.textfile);
    note("Prometheus exposition in " + args.textfile);
  }
  if (!run.complete) note("the run was incomplete: " + run.failure + " (the report says so at the top)");
  return push_to_gateway(run, args.pushgateway, args.runner.empty() ? run.environment.host : args.runner,
                         args.require_push);
}

int push_to_gateway(const results::Run& run, const std::string& url, const std::string& runner, bool required) {
  if (url.empty()) return 0;
  try {
    reports::push(run, {url, runner});
    note("pushed to the Pushgateway at " + url + " (job certbench, runner " + runner + ")");
    return 0;
  } catch (const Error& e) {
    note(std::string(required ? "" : "warning: ") + e.what() + (required ? "" : " (the files are written)"));
    return required ? static_cast<int>(ExitCode::environment) : 0;
  }
}

}  // namespace certbench::cli
