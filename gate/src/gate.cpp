// The judge: the inputs it refuses, the tiers in their order, the notes and the verdict.
#include "certbench/gate/gate.hpp"

#include <algorithm>
#include <map>

#include "detail.hpp"

namespace certbench::gate {

using results::Run;

std::string_view to_string(Outcome outcome) noexcept {
  switch (outcome) {
    case Outcome::pass: return "pass";
    case Outcome::improved: return "improved";
    case Outcome::regression: return "regression";
    case Outcome::inconclusive: return "inconclusive";
    case Outcome::not_applicable: return "n/a";
    case Outcome::not_measured: return "not_measured";
  }
  return "n/a";
}

std::string_view to_string(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::pass: return "pass";
    case Verdict::regression: return "regression";
    case Verdict::inconclusive: return "inconclusive";
    case Verdict::incomplete: return "incomplete";
  }
  return "pass";
}

ExitCode exit_code(Verdict verdict) noexcept {
  switch (verdict) {
    case Verdict::pass: return ExitCode::ok;
    case Verdict::regression: return ExitCode::regression;
    case Verdict::inconclusive: return ExitCode::inconclusive;
    case Verdict::incomplete: return ExitCode::environment;
  }
  return ExitCode::ok;
}

Verdict overall(std::span<const Check> checks, bool current_complete) noexcept {
  const auto any = [&](Outcome o) {
    return std::any_of(checks.begin(), checks.end(), [&](const Check& c) { return c.outcome == o; });
  };
  if (any(Outcome::regression)) return Verdict::regression;
  if (!current_complete) return Verdict::incomplete;
  if (any(Outcome::inconclusive)) return Verdict::inconclusive;
  return Verdict::pass;
}

namespace {

std::string without_indexes(const std::string& fingerprint) {
  std::string out;
  std::size_t start = 0;
  while (start <= fingerprint.size()) {
    auto end = fingerprint.find(' ', start);
    if (end == std::string::npos) end = fingerprint.size();
    const auto token = fingerprint.substr(start, end - start);
    if (!token.empty() && token.rfind("indexes=", 0) != 0) out += (out.empty() ? "" : " ") + token;
    start = end + 1;
  }
  return out;
}

void check_inputs(const Run& baseline, std::string_view baseline_origin, const Run& current,
                  std::string_view current_origin) {
  if (!baseline.complete)
    throw InputError(std::string(baseline_origin) + " is an incomplete run (" + baseline.failure +
                     "): a baseline must be complete; make one with certbench baseline update");
  const auto& a = baseline.environment;
  const auto& b = current.environment;
  if (a.dataset_scale != b.dataset_scale || a.dataset_seed != b.dataset_seed ||
      without_indexes(a.dataset_fingerprint) != without_indexes(b.dataset_fingerprint))
    throw InputError(std::string(current_origin) + " measured another dataset than the baseline " +
                     std::string(baseline_origin) + " (" + b.dataset_fingerprint + " vs " + a.dataset_fingerprint +
                     "): counts of different datasets do not compare; gate against a baseline of this dataset");
}

std::vector<std::string> notes_of(const Run& baseline, const Run& current, const std::string& server_diff,
                                  const std::vector<Check>& checks) {
  std::vector<std::string> notes;
  const auto& a = baseline.environment;
  const auto& b = current.environment;
  if (a.host != b.host || a.cpu_model != b.cpu_model || a.cores != b.cores)
    notes.push_back("the baseline was measured on " + a.host + " (" + a.cpu_model + ", " + std::to_string(a.cores) +
                    " cores), this run on " + b.host + " (" + b.cpu_model + ", " + std::to_string(b.cores) +
                    " cores): tier 1 compares figures of the dataset and the server only, tier 2 reads this run alone");
  if (a.dataset_indexes != b.dataset_indexes)
    notes.push_back("index sets differ: " + a.dataset_indexes + " in the baseline, " + b.dataset_indexes +
                    " in this run (the buffers and plans show what that does)");
  if (!server_diff.empty())
    notes.push_back("shared buffers and plan shapes not compared: " + server_diff);
  if (!current.complete) notes.push_back("the run is incomplete: " + current.failure);
  std::size_t fresh = 0;
  for (const auto& s : current.series)
    if (s.family != results::family::compare && baseline.find(s.key()) == nullptr) ++fresh;
  if (fresh > 0)
    notes.push_back(std::to_string(fresh) + " series of this run are not in the baseline (not gated until " +
                    "certbench baseline update takes them in)");
  const auto improved = std::count_if(checks.begin(), checks.end(), [](const Check& c) { return c.outcome == Outcome::improved; });
  if (improved > 0)
    notes.push_back(std::to_string(improved) + " figures improved beyond their tolerance: certbench baseline update " +
                    "takes the new figures in");
  const auto absent = std::count_if(checks.begin(), checks.end(), [](const Check& c) { return c.outcome == Outcome::not_measured; });
  if (absent > 0) notes.push_back(std::to_string(absent) + " baseline figures were not measured by this run (see each for why)");
  return notes;
}

}  // namespace

Report judge(const Run& baseline, std::string_view baseline_origin, const Run& current,
             std::string_view current_origin, const Policy& policy) {
  check_inputs(baseline, baseline_origin, current, current_origin);
  Report r;
  r.baseline_origin = std::string(baseline_origin);
  r.current_origin = std::string(current_origin);
  r.policy_origin = policy.origin;
  r.baseline_environment = baseline.environment;
  r.current_environment = current.environment;
  r.current_complete = current.complete;
  r.current_failure = current.failure;
  const auto server_diff = detail::server_difference(baseline.environment, current.environment);
  detail::tier1_series(baseline, current, policy, server_diff, r.checks);
  detail::tier1_plans(baseline, current, policy, server_diff, r.checks);
  // A series' plan figures right after its counts: one place to read a path.
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < baseline.series.size(); ++i) position.try_emplace(baseline.series[i].key(), i);
  const auto at = [&](const Check& c) {
    const auto it = position.find(c.key);
    return it == position.end() ? baseline.series.size() : it->second;
  };
  std::stable_sort(r.checks.begin(), r.checks.end(), [&](const Check& a, const Check& b) { return at(a) < at(b); });
  detail::tier2_speedups(baseline, current, policy, r.checks);
  for (auto& c : head_base_checks(current, policy)) r.checks.push_back(std::move(c));
  const bool judged = std::any_of(r.checks.begin(), r.checks.end(), [](const Check& c) {
    return c.outcome != Outcome::not_measured && c.outcome != Outcome::not_applicable;
  });
  if (!judged && current.complete)
    throw InputError(r.current_origin + " and the baseline " + r.baseline_origin +
                     " have no figure in common to gate (different paths measured?)");
  r.notes = notes_of(baseline, current, server_diff, r.checks);
  r.verdict = overall(r.checks, r.current_complete);
  return r;
}

Report judge_builds(const Run& current, std::string_view current_origin, const Policy& policy) {
  Report r;
  r.has_baseline = false;
  r.current_origin = std::string(current_origin);
  r.policy_origin = policy.origin;
  r.current_environment = current.environment;
  r.current_complete = current.complete;
  r.current_failure = current.failure;
  r.checks = head_base_checks(current, policy);
  if (r.checks.empty()) {
    if (!current.complete)  // it stopped before the comparison: nothing to judge, and not a pass
      throw InputError(r.current_origin + " is an incomplete run (" + current.failure +
                       ") without a head/base comparison to judge");
    throw InputError(r.current_origin + " has no head/base comparison (compare series) to judge without a baseline: "
                     "measure one with certbench run --compare-binary OLD_CERTBENCH, or give --baseline");
  }
  if (!current.complete) r.notes.push_back("the run is incomplete: " + current.failure);
  const auto& b = current.environment.builds;
  for (const auto& build : b)
    r.notes.push_back(build.role + " build: " + build.binary + (build.version.empty() ? "" : " (" + build.version + ")"));
  r.verdict = overall(r.checks, r.current_complete);
  return r;
}

}  // namespace certbench::gate
