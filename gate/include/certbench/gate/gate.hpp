#pragma once
// certbench's regression gate: a run judged against a baseline run, both as the results model
// (results::Run, read from results.json), under a policy (policy.hpp). docs/gate.md explains
// every rule; in short:
//
// - Tier 1 — figures that do not depend on the clock, per series matched by Series::key(): round
//   trips, rows and bytes per call, database and Redis round trips per call, the per-call peak
//   heap (its median; n/a where a side has no peak, e.g. a sanitizer build), and from the run's
//   plans the shared buffers one call touched and the plan shape (node types of each statement).
//   Worse than the baseline by more than the policy's tolerance: regression.
// - Tier 2 — timing only as ratios measured within one run: each gated path's speed-up against
//   naive (the current run's delta, at the run's own dataset scale) must keep its floor, judged on
//   the 95% interval: low >= floor passes, high < floor regresses, otherwise inconclusive. And
//   judge_head_base() for two builds measured interleaved in one run: a run's compare series
//   (run --compare-binary, mode base and head) are judged head/base per path, with or without a
//   baseline (judge_builds).
// - A series of the baseline missing from the current run is a regression, unless the current run
//   did not measure its family at that scale at all (a subset, e.g. run --only), the run stopped
//   before it (incomplete), or the policy allows it.
// - The verdict: regression (exit 1) wins over an incomplete current run (exit 3), which wins over
//   inconclusive (exit 4, only timing can be); otherwise pass (exit 0).
//
// Inputs the gate refuses (InputError, exit 2, one line naming the file): an incomplete baseline,
// and a baseline and a run of different datasets (scale, seed or generator version; a different
// index set is allowed — that is what tier 1 is there to catch).
//
// Thread safety: pure functions over values.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "certbench/core/errors.hpp"
#include "certbench/gate/policy.hpp"
#include "certbench/results/run.hpp"
#include "certbench/results/statistics.hpp"

namespace certbench::gate {

enum class Outcome {
  pass,
  improved,      ///< better than the baseline by more than the tolerance (passes; update the baseline)
  regression,
  inconclusive,  ///< timing only: the interval straddles the limit, or too noisy to tell
  not_applicable,  ///< not comparable here (no peak heap in a sanitizer build, another PostgreSQL)
  not_measured,    ///< absent from the current run for a reason that is not a regression
};
std::string_view to_string(Outcome outcome) noexcept;

/// One side's figure: a number, an interval (tier 2), or a plan shape; `text` as printed.
struct Figure {
  std::optional<double> value;
  std::optional<results::Interval> interval;
  std::vector<std::string> shape;  ///< plan_shape: one line per statement ("20x Seq Scan")
  std::string text;
};

/// One checked figure of one series.
struct Check {
  int tier = 1;
  std::string key;  ///< Series::key() of the series (plans: of their series)
  std::string family, path, implementation, mode;
  std::map<std::string, double> parameters;
  std::string figure;  ///< a tier-1 figure name, "series" (present or not), or "speedup:<metric>" / "head_base:<metric>"
  Figure baseline, current;
  std::string limit;  ///< what passes, in words
  Outcome outcome = Outcome::pass;
  std::string detail;  ///< why, one line (always set for regression, inconclusive, n/a, not measured)
  std::optional<double> p, p_adjusted;  ///< head/base: the test's p-value, Holm-corrected
};

enum class Verdict { pass, regression, inconclusive, incomplete };
std::string_view to_string(Verdict verdict) noexcept;
ExitCode exit_code(Verdict verdict) noexcept;

struct Report {
  bool has_baseline = true;  ///< false: judge_builds, the run's head/base comparison only
  std::string baseline_origin, current_origin, policy_origin;
  results::Environment baseline_environment, current_environment;
  bool current_complete = true;
  std::string current_failure;
  std::vector<Check> checks;
  std::vector<std::string> notes;  ///< what differs between the runs, what was not compared and why
  Verdict verdict = Verdict::pass;
};

/// Judges `current` against `baseline` (tiers 1 and 2). The origins name the files in messages.
/// Throws InputError for the inputs the gate refuses (above).
Report judge(const results::Run& baseline, std::string_view baseline_origin, const results::Run& current,
             std::string_view current_origin, const Policy& policy);

/// The run's head/base comparison alone (its compare series, run --compare-binary): no baseline is
/// needed, since both builds were measured in this run. Throws InputError naming `current_origin`
/// when the run has no compare series.
Report judge_builds(const results::Run& current, std::string_view current_origin, const Policy& policy);

/// The head/base checks of a run's compare series: each head series against the base series of the
/// same path, implementation and parameters (judge_head_base on latency, Holm across them all).
std::vector<Check> head_base_checks(const results::Run& run, const Policy& policy);

/// The verdict of a set of checks: regression > incomplete > inconclusive > pass.
Verdict overall(std::span<const Check> checks, bool current_complete) noexcept;

/// Head/base timing of one path: two builds' samples of one metric, measured in one run.
struct TimingInput {
  std::string key;                 ///< the path, for the judgement
  std::span<const double> base, head;
  bool paired = false;             ///< sample i of each was taken in round i (interleaved rounds)
  results::Better better = results::Better::lower;
  Timing timing;
};

/// How one path's head compares with its base. `slowdown` is head/base for lower-is-better
/// metrics (base/head for higher-is-better), with the 95% interval its sample count supports
/// (results::ratio_interval, paired when the input is; `method` names it): > 1 means head is worse.
struct TimingJudgement {
  std::string key;
  double base_median = 0, head_median = 0;
  results::Interval slowdown;
  std::string_view method;  ///< results::method::*; `range` is no 95% interval, and no verdict
  results::RankTest test;
  double p_adjusted = 1;  ///< Holm-Bonferroni across every input of the call
  Outcome outcome = Outcome::pass;
  std::string detail;
};

/// Judges every input, correcting the tests for their number (Holm-Bonferroni). A path regresses
/// only when the corrected test rejects at its alpha AND the slowdown's interval lies above the
/// threshold AND the median got worse by more than the absolute floor; it passes when the
/// interval's high end is within the threshold or the worsening is within the absolute floor
/// (improved when the corrected test rejects and the interval lies below 1); otherwise it is
/// inconclusive, as it is whenever the samples are too few for a 95% interval. Throws std::invalid_argument for an input without samples.
std::vector<TimingJudgement> judge_timings(std::span<const TimingInput> inputs);

/// The same on series: each pair (base, head) of one path, compared on `metric`'s samples under
/// the policy's timing settings for the head series; paired when the family's implementations
/// run in interleaved rounds and both sides have as many samples. Returns tier-2 checks
/// ("head_base:<metric>"); a pair where a side lacks the samples is not_measured.
std::vector<Check> judge_head_base(std::span<const std::pair<const results::Series*, const results::Series*>> pairs,
                                   const Policy& policy, results::Metric metric = results::Metric::latency);

/// The report as the terminal shows it: one table row per check (tier, family, path, impl, figure,
/// baseline, current, verdict), a line per regression naming the path, the figure, before and
/// after, the notes, and the verdict line.
std::string to_text(const Report& report);
/// The report as Markdown (the --summary file and $GITHUB_STEP_SUMMARY): the verdict, what failed
/// or was inconclusive, every check in a collapsed table, the notes.
std::string to_markdown(const Report& report);
/// The verdict file (docs/gate.md, "The verdict file"), pretty-printed, ending in a newline.
std::string to_json(const Report& report);

/// `run` as a baseline: the same model, less the samples no gate reads across runs (every one but
/// the peak heap's: latency, event-loop lag, throughput per repetition, CPU and pool waits per
/// call) unless `keep_samples`, and less the compare series and builds (a head/base comparison is
/// judged within its own run). Refuses (InputError naming `origin`) an incomplete run.
results::Run make_baseline(const results::Run& run, std::string_view origin, bool keep_samples = false);

}  // namespace certbench::gate
