// certbench report RESULTS.json [--out DIR] [--textfile PATH]: report.md and its charts (and the
// Prometheus exposition) from a results file, without a database — the sinks `certbench run` calls.
#include <fmt/format.h>

#include <chrono>

#include "certbench/reports/markdown.hpp"
#include "certbench/reports/prometheus.hpp"
#include "certbench/results/json.hpp"
#include "certbench/core/errors.hpp"
#include "commands.hpp"
#include "options.hpp"
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
    reports::write_textfile(run, args.push.runner_of(run), args.textfile);
    note("Prometheus exposition in " + args.textfile);
  }
  if (!run.complete) note("the run was incomplete: " + run.failure + " (the report says so at the top)");
  return push_to_gateway(run, args.push);
}

int push_to_gateway(const results::Run& run, const PushArgs& push) {
  if (push.pushgateway.empty()) return 0;
  const auto& runner = push.runner_of(run);
  const bool required = push.require_push;
  try {
    reports::push(run, {push.pushgateway, runner});
    note("pushed to the Pushgateway at " + push.pushgateway + " (job certbench, runner " + runner + ")");
    return 0;
  } catch (const Error& e) {
    note(std::string(required ? "" : "warning: ") + e.what() + (required ? "" : " (the files are written)"));
    return required ? static_cast<int>(ExitCode::environment) : 0;
  }
}

Command add_report(CLI::App& app) {
  auto args = std::make_shared<ReportArgs>();
  auto* sub = app.add_subcommand("report", "write report.md and its charts (gnuplot, SVG and PNG) from a "
                                           "results.json, without a database");
  sub->add_option("results", args->results, "a results.json written by certbench run")
      ->type_name("RESULTS.json")
      ->required();
  sub->add_option("--out", args->out, "folder for report.md and charts/ (default: the results file's)")->type_name("DIR");
  sub->add_option("--textfile", args->textfile,
                  "also write the run as Prometheus text exposition to PATH (atomically, for node_exporter)")
      ->type_name("PATH");
  add_push_options(*sub, args->push, "the results file's series");
  return {sub, [args] { return report(*args); }};
}

}  // namespace certbench::cli
