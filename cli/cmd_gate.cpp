// certbench gate [--baseline BASE.json] --current RUN.json [--policy FILE] [--out FILE] [--summary FILE]:
// the run judged against the baseline (certbench::gate), or only its head/base comparison without
// one; and certbench baseline update RUN.json.
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "certbench/core/errors.hpp"
#include "certbench/gate/gate.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "terminal.hpp"

namespace certbench::cli {

namespace {

// Before any work: an output whose folder does not exist is bad usage, not a failure afterwards.
void check_output(const std::string& path, const std::string& option) {
  if (path.empty()) return;
  const auto parent = std::filesystem::absolute(path).parent_path();
  if (!std::filesystem::is_directory(parent))
    throw UsageError(option + " " + path + ": " + parent.string() + " is not a directory");
}

}  // namespace

int gate(const GateArgs& args) {
  check_output(args.out, "--out");
  check_output(args.summary, "--summary");
  const auto policy = args.policy.empty() ? gate::default_policy() : gate::load_policy(args.policy);
  const auto current = results::load(args.current);
  // Without a baseline only the run's head/base comparison (run --compare-binary) is judged.
  const auto report = args.baseline.empty()
                          ? gate::judge_builds(current, args.current, policy)
                          : gate::judge(results::load(args.baseline), args.baseline, current, args.current, policy);

  std::fputs(gate::to_text(report).c_str(), stdout);
  std::fflush(stdout);
  if (!args.out.empty()) sys::write_file_atomic(args.out, gate::to_json(report));
  const auto markdown = gate::to_markdown(report);
  if (!args.summary.empty()) sys::write_file_atomic(args.summary, markdown);
  // GitHub Actions shows this file on the job's page; a summary that cannot be written does not
  // change the verdict.
  if (const char* step_summary = std::getenv("GITHUB_STEP_SUMMARY"); step_summary != nullptr && *step_summary != 0) {
    std::ofstream out(step_summary, std::ios::app);
    if (!(out << markdown << "\n"))
      note(std::string("warning: cannot append the summary to $GITHUB_STEP_SUMMARY (") + step_summary + ")");
  }
  if (report.verdict == gate::Verdict::incomplete)
    note(args.current + " is an incomplete run (" + report.current_failure +
         "): what it measured shows no regression, but the rest was not judged");
  return static_cast<int>(gate::exit_code(report.verdict));
}

int baseline_update(const BaselineArgs& args) {
  const auto run = results::load(args.run);
  const auto baseline = gate::make_baseline(run, args.run, args.keep_samples);
  const auto to = std::filesystem::path(args.to);
  if (std::error_code ec; to.has_parent_path() && !std::filesystem::create_directories(to.parent_path(), ec) && ec)
    throw EnvironmentError("cannot create " + to.parent_path().string() + ": " + ec.message());
  sys::write_file_atomic(to, results::to_json(baseline));
  note("baseline " + to.string() + " written from " + args.run + " (" + std::to_string(baseline.series.size()) +
       " series, " + std::to_string(baseline.plans.size()) + " plans" +
       (baseline.environment.git_commit.empty() ? "" : ", commit " + baseline.environment.git_commit) +
       "); commit it to make it the gate's baseline");
  return 0;
}

Command add_gate(CLI::App& app) {
  auto args = std::make_shared<GateArgs>();
  auto* sub = app.add_subcommand("gate", "judge a run against a baseline: counts that need no clock (tier 1), "
                                         "speed-ups measured within the run (tier 2); exit 0 pass, 1 regression, "
                                         "4 inconclusive");
  sub->add_option("--baseline", args->baseline,
                  "the baseline, a results.json (certbench baseline update); without it, only the run's head/base "
                  "comparison is judged (a run --compare-binary)")
      ->type_name("BASE.json");
  sub->add_option("--current", args->current, "the run to judge, a results.json (certbench run)")
      ->type_name("RUN.json")
      ->required();
  sub->add_option("--policy", args->policy,
                  "tolerances, speed-up floors and timing thresholds (default: the built-in "
                  "reports/baselines/policy.json; docs/gate.md)")
      ->type_name("POLICY.json");
  sub->add_option("--out", args->out, "write the verdict as JSON to FILE (docs/gate.md)")->type_name("VERDICT.json");
  sub->add_option("--summary", args->summary,
                  "write the verdict as Markdown to FILE (also appended to $GITHUB_STEP_SUMMARY when it is set)")
      ->type_name("FILE.md");
  sub->footer("Exit codes: 0 pass, 1 a regression, 2 bad input (a corrupt, truncated or other-version file, "
              "baselines of another dataset), 3 the run to judge is incomplete (and shows no regression), 4 "
              "inconclusive (timing only). No database is needed.");
  return {sub, [args] { return gate(*args); }};
}

Command add_baseline(CLI::App& app) {
  auto args = std::make_shared<BaselineArgs>();
  auto* baseline = app.add_subcommand("baseline", "manage the gate's baseline");
  baseline->require_subcommand(1);
  auto* update = baseline->add_subcommand(
      "update", "make a complete run the gate's baseline, on purpose (a gate never writes one)");
  update->add_option("run", args->run, "a results.json written by certbench run")->type_name("RUN.json")->required();
  update->add_option("--to", args->to, "where to write it")->type_name("FILE")->capture_default_str();
  update->add_flag("--keep-samples", args->keep_samples, "keep every sample too (no gate reads them across runs; the peak heap's are always kept)");
  update->footer("Refuses an incomplete run (exit 2). No database is needed. Commit the file: CI gates "
                 "against it (docs/gate.md).");
  return {baseline, [args] { return baseline_update(*args); }};
}

}  // namespace certbench::cli
