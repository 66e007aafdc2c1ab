#include "certbench/gate/gate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "certbench/results/analysis.hpp"
#include "certbench/reports/format.hpp"
#include "text.hpp"

namespace certbench::gate {

using results::Metric;
using results::Run;
using results::Series;

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

// ---- what a check is about ----------------------------------------------------------------------

Check check_of(const Series& s, int tier, std::string figure_name) {
  Check c;
  c.tier = tier;
  c.key = s.key();
  c.family = s.family;
  c.path = s.path;
  c.implementation = s.implementation;
  c.mode = s.mode;
  c.parameters = s.parameters;
  c.figure = std::move(figure_name);
  return c;
}

bool same_scale(const Series& a, const Series& b) { return a.parameter("scale") == b.parameter("scale"); }

std::string scale_words(const Series& s) {
  const auto scale = s.parameter("scale");
  return scale ? " at scale " + results::number_text(*scale) : "";
}

// Why a series of the baseline is absent from the current run: not a regression when the policy
// allows it, the run stopped before it, or the run did not measure its family at that scale at
// all (a subset: run --paths, no --full); otherwise it disappeared.
std::pair<Outcome, std::string> absence(const Series& b, const Run& current, bool measured_family_at_scale,
                                        const Settings& settings) {
  if (settings.allow_missing) return {Outcome::not_measured, "missing from the run; the policy allows it"};
  if (!current.complete)
    return {Outcome::not_measured, "the run stopped before it (" + current.failure + ")"};
  if (!measured_family_at_scale)
    return {Outcome::not_measured, "the run did not measure " + b.family + scale_words(b)};
  return {Outcome::regression, "missing from the current run: the path, implementation or parameters disappeared"};
}

bool family_measured(const Run& run, const Series& b) {
  return std::any_of(run.series.begin(), run.series.end(),
                     [&](const Series& s) { return s.family == b.family && same_scale(s, b); });
}

// ---- tier 1 -------------------------------------------------------------------------------------

std::optional<double> peak_heap_of(const Series& s) {
  const auto* v = s.samples_of(Metric::peak_heap);
  if (v == nullptr || v->empty()) return std::nullopt;
  return results::percentile(*v, 0.5);
}

std::string limit_text(const Tolerance& t, bool bytes) {
  if (t.relative == 0 && t.absolute == 0) return "exact";
  const auto abs_text = [&] { return bytes ? reports::human_bytes(t.absolute) : reports::count(t.absolute); };
  if (t.relative == 0) return "within " + abs_text();
  const auto rel_text = reports::count(t.relative * 100) + "%";
  if (t.absolute == 0) return "within " + rel_text;
  return "within max(" + rel_text + ", " + abs_text() + ")";
}

// A lower-is-better figure against its baseline within a tolerance.
void judge_count(Check& c, double before, double after, const Tolerance& t, bool bytes, std::string_view unit_words,
                 bool higher_better = false) {
  const auto show = [&](double v) { return bytes ? reports::human_bytes(v) : reports::count(v); };
  c.baseline.value = before;
  c.baseline.text = show(before);
  c.current.value = after;
  c.current.text = show(after);
  c.limit = limit_text(t, bytes);
  const double allowed = std::max(t.relative * before, t.absolute);
  const double change = higher_better ? before - after : after - before;  // how much worse
  c.outcome = change > allowed ? Outcome::regression : -change > allowed ? Outcome::improved : Outcome::pass;
  if (c.outcome != Outcome::pass)
    c.detail = c.figure + std::string(unit_words) + " " + show(before) + " -> " + show(after) + " (allowed: " + c.limit + ")";
}

void tier1_series(const Run& baseline, const Run& current, const Policy& policy, const std::string& server_diff,
                  std::vector<Check>& out) {
  for (const auto& b : baseline.series) {
    const auto settings = policy.settings_for(b);
    const auto* c = current.find(b.key());
    // A figure is checked when the baseline has it; a peak heap also when only the current run has
    // it (then n/a: a sanitizer build's baseline measured none).
    std::vector<const Tier1Figure*> figures;
    for (const auto& f : tier1_figures()) {
      if (f.source == Tier1Figure::Source::plans || !settings.tolerance_of(f.name).check) continue;
      const bool present = f.metric ? b.value(*f.metric).has_value()
                                    : peak_heap_of(b) || (c != nullptr && peak_heap_of(*c));
      if (present) figures.push_back(&f);
    }
    if (figures.empty()) continue;
    if (c == nullptr) {
      auto check = check_of(b, 1, "series");
      check.baseline.text = "measured";
      check.current.text = "absent";
      check.limit = "present";
      std::tie(check.outcome, check.detail) = absence(b, current, family_measured(current, b), settings);
      out.push_back(std::move(check));
      continue;
    }
    for (const auto* f : figures) {
      auto check = check_of(*c, 1, std::string(f->name));
      const auto& t = settings.tolerance_of(f->name);
      if (f->metric) {
        const auto before = b.value(*f->metric), after = c->value(*f->metric);
        if (!after) {
          check.baseline.value = before;
          check.baseline.text = reports::count(*before);
          check.current.text = "absent";
          check.limit = limit_text(t, f->bytes);
          check.outcome = Outcome::regression;
          check.detail = check.figure + " is no longer measured for this series";
        } else if (f->server && !server_diff.empty()) {
          check.baseline.value = before;
          check.baseline.text = reports::count(*before);
          check.current.value = after;
          check.current.text = reports::count(*after);
          check.limit = limit_text(t, f->bytes);
          check.outcome = Outcome::not_applicable;
          check.detail = "not comparable: " + server_diff;
        } else {
          judge_count(check, *before, *after, t, f->bytes, " per call", f->higher_better);
        }
      } else {
        const auto before = peak_heap_of(b), after = peak_heap_of(*c);
        if (!before || !after) {
          check.baseline.text = before ? reports::human_bytes(*before) : "n/a";
          check.current.text = after ? reports::human_bytes(*after) : "n/a";
          if (before) check.baseline.value = before;
          if (after) check.current.value = after;
          check.limit = limit_text(t, true);
          check.outcome = Outcome::not_applicable;
          check.detail = std::string(before ? "the current run" : "the baseline") +
                         " has no peak heap (a sanitizer build measures none)";
        } else {
          judge_count(check, *before, *after, t, true, " (median per call)");
        }
      }
      out.push_back(std::move(check));
    }
  }
}

// ---- tier 1: plans -------------------------------------------------------------------------------

struct PlanGroup {
  Series subject;  ///< the series the plans explain (family, path, implementation, parameters)
  std::vector<const results::Plan*> plans;
};

std::vector<PlanGroup> plan_groups(const Run& run) {
  std::vector<PlanGroup> out;
  std::map<std::string, std::size_t> at;
  for (const auto& p : run.plans) {
    Series s;
    s.family = p.family;
    s.path = p.path;
    s.implementation = p.implementation;
    s.mode = p.mode;  // the index scenario's plans: one group per set
    s.parameters = p.parameters;
    const auto [it, added] = at.try_emplace(s.key(), out.size());
    if (added) out.push_back({std::move(s), {}});
    out[it->second].plans.push_back(&p);
  }
  return out;
}

double buffers_per_call(const PlanGroup& g) {
  double total = 0;
  for (const auto* p : g.plans) total += (p->shared_hit + p->shared_read) * static_cast<double>(p->executions);
  return total;
}

std::vector<std::string> shape_of(const PlanGroup& g) {
  std::vector<std::string> out;
  for (const auto* p : g.plans)
    out.push_back((p->executions > 1 ? std::to_string(p->executions) + "x per call: " : std::string()) +
                  text::nodes(p->nodes));
  return out;
}

// "15" from "15.18 (Debian 15.18-0+deb12u1)".
std::string major_version(const std::string& version) {
  std::string out;
  for (char c : version) {
    if (c < '0' || c > '9') break;
    out += c;
  }
  return out;
}

// What makes the server's own figures (buffers, plans) incomparable; "" when they compare.
std::string server_difference(const results::Environment& a, const results::Environment& b) {
  if (major_version(a.postgres_version) != major_version(b.postgres_version))
    return "PostgreSQL " + major_version(a.postgres_version) + " in the baseline, " + major_version(b.postgres_version) +
           " in this run";
  static const std::set<std::string> irrelevant{"fsync", "synchronous_commit", "shared_preload_libraries"};
  std::set<std::string> names;
  for (const auto& [k, v] : a.postgres_settings) names.insert(k);
  for (const auto& [k, v] : b.postgres_settings) names.insert(k);
  for (const auto& name : names) {
    if (irrelevant.count(name)) continue;
    const auto ia = a.postgres_settings.find(name), ib = b.postgres_settings.find(name);
    const std::string va = ia == a.postgres_settings.end() ? "unset" : ia->second;
    const std::string vb = ib == b.postgres_settings.end() ? "unset" : ib->second;
    if (va != vb) return "the planner setting " + name + " is " + va + " in the baseline, " + vb + " in this run";
  }
  return "";
}

void tier1_plans(const Run& baseline, const Run& current, const Policy& policy, const std::string& server_diff,
                 std::vector<Check>& out) {
  const auto current_groups = plan_groups(current);
  std::map<std::string, const PlanGroup*> by_key;
  for (const auto& g : current_groups) by_key[g.subject.key()] = &g;
  for (const auto& b : plan_groups(baseline)) {
    const auto settings = policy.settings_for(b.subject);
    const bool buffers = settings.tolerance_of(figure::shared_buffers).check;
    if (!buffers && !settings.plan_shape) continue;
    auto it = by_key.find(b.subject.key());
    if (it == by_key.end()) {
      auto check = check_of(b.subject, 1, "plans");
      check.baseline.text = std::to_string(b.plans.size()) + " statements";
      check.current.text = "absent";
      check.limit = "present";
      const bool measured = std::any_of(current_groups.begin(), current_groups.end(), [&](const PlanGroup& g) {
        return g.subject.family == b.subject.family && same_scale(g.subject, b.subject);
      });
      std::tie(check.outcome, check.detail) = absence(b.subject, current, measured, settings);
      if (check.outcome == Outcome::not_measured && current.plans.empty())
        check.detail = "the run captured no plans" + (current.complete ? std::string() : " (" + current.failure + ")");
      out.push_back(std::move(check));
      continue;
    }
    const auto& c = *it->second;
    if (buffers) {
      auto check = check_of(c.subject, 1, std::string(figure::shared_buffers));
      const auto& t = settings.tolerance_of(figure::shared_buffers);
      judge_count(check, buffers_per_call(b), buffers_per_call(c), t, false, " per call");
      if (!server_diff.empty()) {
        check.outcome = Outcome::not_applicable;
        check.detail = "not comparable: " + server_diff;
      }
      out.push_back(std::move(check));
    }
    if (settings.plan_shape) {
      auto check = check_of(c.subject, 1, std::string(figure::plan_shape));
      check.baseline.shape = shape_of(b);
      check.current.shape = shape_of(c);
      const auto summary = [](const std::vector<std::string>& shape) {
        return shape.size() == 1 ? shape.front() : std::to_string(shape.size()) + " statements";
      };
      check.baseline.text = summary(check.baseline.shape);
      check.current.text = summary(check.current.shape);
      check.limit = "same node types";
      // Statements compare as a set: the order a call first ran them in is not its shape.
      auto before = check.baseline.shape, after = check.current.shape;
      std::sort(before.begin(), before.end());
      std::sort(after.begin(), after.end());
      if (!server_diff.empty()) {
        check.outcome = Outcome::not_applicable;
        check.detail = "not comparable: " + server_diff;
      } else if (before != after) {
        check.outcome = Outcome::regression;
        std::vector<std::string> gone, came;
        std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(gone));
        std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(came));
        check.detail = "plan_shape changed: " + (gone.empty() ? std::string("(nothing)") : gone.front()) + " -> " +
                       (came.empty() ? std::string("(nothing)") : came.front());
        if (gone.size() + came.size() > 2)
          check.detail += " (" + std::to_string(gone.size()) + " statements gone, " + std::to_string(came.size()) + " new)";
        if (check.baseline.shape.size() != 1 || check.current.shape.size() != 1) {
          check.baseline.text = gone.empty() ? summary(check.baseline.shape) : gone.front();
          check.current.text = came.empty() ? summary(check.current.shape) : came.front();
        }
      } else if (check.baseline.shape.size() != 1) {
        check.current.text = "the same " + std::to_string(check.current.shape.size()) + " statements";
      }
      out.push_back(std::move(check));
    }
  }
}

// ---- tier 2: the speed-ups of this run ---------------------------------------------------------

bool at_run_scale(const Series& s, const Run& run) {
  const auto scale = s.parameter("scale");
  return !scale || *scale == static_cast<double>(run.environment.dataset_scale);
}

struct Gated {
  const Series* series = nullptr;  ///< in the run the delta came from
  const results::Delta* delta = nullptr;
  double floor = 0;
};

// The deltas against naive the policy puts a floor on, by "other key|metric".
std::map<std::string, Gated> gated_deltas(const Run& run, const Policy& policy) {
  std::map<std::string, Gated> out;
  for (const auto& d : run.deltas) {
    const auto* s = run.find(d.other_key);
    const auto* b = run.find(d.baseline_key);
    if (s == nullptr || b == nullptr || b->implementation != "naive" || !at_run_scale(*s, run)) continue;
    const auto settings = policy.settings_for(*s);
    const auto floor = settings.speedup_floor.find(d.metric);
    if (floor == settings.speedup_floor.end()) continue;
    out.try_emplace(d.other_key + "|" + std::string(results::name(d.metric)), Gated{s, &d, floor->second});
  }
  return out;
}

Figure speedup_figure(const results::Delta& d) {
  Figure f;
  f.value = d.factor.estimate;
  f.interval = d.factor;
  f.text = reports::ratio_text(d.factor, d.method) + (d.method == results::method::exact ? " (exact)" : "");
  return f;
}

void tier2_speedups(const Run& baseline, const Run& current, const Policy& policy, std::vector<Check>& out) {
  const auto now = gated_deltas(current, policy);
  const auto before = gated_deltas(baseline, policy);
  std::vector<std::string> keys;
  for (const auto& [k, g] : now) keys.push_back(k);
  for (const auto& [k, g] : before)
    if (!now.count(k)) keys.push_back(k);
  // In the current run's series order, then the baseline's.
  const auto order = [](const Run& run, const std::string& key) -> std::size_t {
    const auto other = key.substr(0, key.rfind('|'));
    for (std::size_t i = 0; i < run.series.size(); ++i)
      if (run.series[i].key() == other) return i;
    return run.series.size();
  };
  std::stable_sort(keys.begin(), keys.end(), [&](const std::string& l, const std::string& r) {
    return std::pair(order(current, l), order(baseline, l)) < std::pair(order(current, r), order(baseline, r));
  });
  for (const auto& key : keys) {
    const auto metric_name = key.substr(key.rfind('|') + 1);
    const auto n = now.find(key);
    const auto b = before.find(key);
    const Gated& g = n != now.end() ? n->second : b->second;
    auto check = check_of(*g.series, 2, "speedup:" + metric_name);
    check.limit = ">= " + reports::factor(g.floor) + " (the interval's low end)";
    if (b != before.end()) check.baseline = speedup_figure(*b->second.delta);
    else check.baseline.text = "-";
    if (n == now.end()) {
      const auto* s = current.find(g.series->key());
      check.current.text = "absent";
      if (s != nullptr) {
        check.outcome = Outcome::inconclusive;
        check.detail = "the run has no " + metric_name + " speed-up for it (a median of 0?)";
      } else {
        std::tie(check.outcome, check.detail) =
            absence(*g.series, current, family_measured(current, *g.series), policy.settings_for(*g.series));
      }
      out.push_back(std::move(check));
      continue;
    }
    const auto& d = *g.delta;
    check.current = speedup_figure(d);
    const auto samples = std::min(d.baseline_n, d.other_n);
    const std::string what = metric_name + " speed-up " + check.current.text;
    if (d.method != results::method::exact && samples < 2) {
      check.outcome = Outcome::inconclusive;
      check.detail = what + " rests on one sample: no interval";
    } else if (d.factor.low >= g.floor) {
      check.outcome = Outcome::pass;
    } else if (d.factor.high < g.floor) {
      check.outcome = Outcome::regression;
      check.detail = what + " is below the floor " + reports::factor(g.floor);
    } else {
      check.outcome = Outcome::inconclusive;
      check.detail = what + " straddles the floor " + reports::factor(g.floor);
    }
    out.push_back(std::move(check));
  }
}

// ---- the runs themselves ------------------------------------------------------------------------

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
                     "): a baseline must be complete; record one with certbench baseline update");
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
                    "certbench baseline update records them)");
  const auto improved = std::count_if(checks.begin(), checks.end(), [](const Check& c) { return c.outcome == Outcome::improved; });
  if (improved > 0)
    notes.push_back(std::to_string(improved) + " figures improved beyond their tolerance: certbench baseline update " +
                    "records the new figures");
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
  const auto server_diff = server_difference(baseline.environment, current.environment);
  tier1_series(baseline, current, policy, server_diff, r.checks);
  tier1_plans(baseline, current, policy, server_diff, r.checks);
  // A series' plan figures right after its counts: one place to read a path.
  std::map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < baseline.series.size(); ++i) position.try_emplace(baseline.series[i].key(), i);
  const auto at = [&](const Check& c) {
    const auto it = position.find(c.key);
    return it == position.end() ? baseline.series.size() : it->second;
  };
  std::stable_sort(r.checks.begin(), r.checks.end(), [&](const Check& a, const Check& b) { return at(a) < at(b); });
  tier2_speedups(baseline, current, policy, r.checks);
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

// ---- head/base ----------------------------------------------------------------------------------

std::vector<Check> head_base_checks(const Run& run, const Policy& policy) {
  std::vector<std::pair<const Series*, const Series*>> pairs;
  for (const auto& head : run.series) {
    if (head.family != results::family::compare || head.mode != "head") continue;
    Series base_of = head;
    base_of.mode = "base";
    if (const auto* base = run.find(base_of.key())) pairs.emplace_back(base, &head);
  }
  if (pairs.empty()) return {};
  return judge_head_base(pairs, policy);
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

std::vector<TimingJudgement> judge_timings(std::span<const TimingInput> inputs) {
  std::vector<TimingJudgement> out;
  std::vector<double> p;
  for (const auto& in : inputs) {
    if (in.base.empty() || in.head.empty()) throw std::invalid_argument("judge_timings: " + in.key + " has no samples");
    TimingJudgement j;
    j.key = in.key;
    j.base_median = results::percentile(in.base, 0.5);
    j.head_median = results::percentile(in.head, 0.5);
    const bool paired = in.paired && in.base.size() == in.head.size();
    const bool higher = in.better == results::Better::higher;
    const auto r = results::ratio_interval(higher ? in.base : in.head, higher ? in.head : in.base, paired,
                                           "head_base|" + in.key);
    j.slowdown = r.factor;
    j.method = r.method;
    j.test = results::mann_whitney_u(in.head, in.base);
    p.push_back(j.test.p);
    out.push_back(std::move(j));
  }
  const auto adjusted = results::holm_adjust(p);
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto& j = out[i];
    const auto& in = inputs[i];
    const auto& t = in.timing;
    j.p_adjusted = adjusted[i];
    const bool higher = in.better == results::Better::higher;
    const double worse_by = higher ? j.base_median - j.head_median : j.head_median - j.base_median;
    const double worst_plausible = higher ? j.base_median * (1 - 1 / j.slowdown.high) : j.base_median * (j.slowdown.high - 1);
    const bool rejects = j.p_adjusted < t.alpha;
    const bool range = j.method == results::method::range;
    const auto ratio_text = "head/base " + reports::ratio_text(j.slowdown, j.method);
    char p_text[64];
    std::snprintf(p_text, sizeof p_text, "p = %.3g after Holm", j.p_adjusted);
    if (range) {
      j.outcome = Outcome::inconclusive;
      j.detail = ratio_text + ": too few samples for a 95% interval";
    } else if (rejects && j.slowdown.low > t.threshold && worse_by > t.absolute_floor) {
      j.outcome = Outcome::regression;
      j.detail = ratio_text + " above " + reports::factor(t.threshold) + ", " + p_text;
    } else if (rejects && j.slowdown.high < 1) {
      j.outcome = Outcome::improved;
      j.detail = ratio_text + ", " + p_text;
    } else if (j.slowdown.high <= t.threshold) {
      j.outcome = Outcome::pass;
    } else if (worst_plausible <= t.absolute_floor || (rejects && j.slowdown.low > t.threshold)) {
      j.outcome = Outcome::pass;
      j.detail = "slower by less than the absolute floor";
    } else {
      j.outcome = Outcome::inconclusive;
      j.detail = ratio_text + (rejects ? " straddles " + reports::factor(t.threshold)
                                       : std::string(": the test does not reject (") + p_text + ")");
    }
  }
  return out;
}

std::vector<Check> judge_head_base(std::span<const std::pair<const Series*, const Series*>> pairs, const Policy& policy,
                                   Metric metric) {
  std::vector<Check> out;
  std::vector<TimingInput> inputs;
  std::vector<std::size_t> judged;  // index into out of each input
  const auto metric_name = std::string(results::name(metric));
  const bool seconds = results::info(metric).unit == "seconds";
  for (const auto& [base, head] : pairs) {
    auto check = check_of(*head, 2, "head_base:" + metric_name);
    const auto* bs = base->samples_of(metric);
    const auto* hs = head->samples_of(metric);
    const auto settings = policy.settings_for(*head);
    check.limit = "head/base <= " + reports::factor(settings.timing.threshold) + " or within " +
                  (seconds ? reports::duration(settings.timing.absolute_floor) : reports::count(settings.timing.absolute_floor));
    if (bs == nullptr || hs == nullptr || bs->empty() || hs->empty()) {
      check.outcome = Outcome::not_measured;
      check.detail = "no " + metric_name + " samples on " + (bs == nullptr || bs->empty() ? "base" : "head");
      out.push_back(std::move(check));
      continue;
    }
    TimingInput in;
    in.key = head->key();
    in.base = *bs;
    in.head = *hs;
    in.paired = results::interleaved(head->family) && base->family == head->family && bs->size() == hs->size();
    in.better = results::info(metric).better;
    in.timing = settings.timing;
    inputs.push_back(in);
    judged.push_back(out.size());
    out.push_back(std::move(check));
  }
  const auto judgements = judge_timings(inputs);
  for (std::size_t i = 0; i < judgements.size(); ++i) {
    auto& check = out[judged[i]];
    const auto& j = judgements[i];
    const auto show = [&](double v) { return seconds ? reports::duration(v) : reports::count(v); };
    check.baseline.value = j.base_median;
    check.baseline.text = show(j.base_median);
    check.current.value = j.head_median;
    check.current.interval = j.slowdown;
    check.current.text = show(j.head_median) + ", head/base " + reports::ratio_text(j.slowdown, j.method);
    check.outcome = j.outcome;
    check.detail = j.detail;
    check.p = j.test.p;
    check.p_adjusted = j.p_adjusted;
  }
  return out;
}

// ---- baselines -----------------------------------------------------------------------------------

Run make_baseline(const Run& run, std::string_view origin, bool keep_samples) {
  if (!run.complete)
    throw InputError(std::string(origin) + " is an incomplete run (" + run.failure +
                     "): a baseline must be a complete run");
  Run out = run;
  std::erase_if(out.series, [](const Series& s) { return s.family == results::family::compare; });
  out.environment.builds.clear();
  if (!keep_samples)
    for (auto& s : out.series)
      for (Metric m : {Metric::latency, Metric::event_loop_lag, Metric::event_loop_lag_p99, Metric::throughput,
                       Metric::latency_p50, Metric::latency_p90, Metric::latency_p99, Metric::latency_p999})
        s.samples.erase(m);
  return out;
}

}  // namespace certbench::gate
