// Tier 1 on the series: counts per call and the peak heap, figures that need no clock.
#include <algorithm>
#include <optional>
#include <tuple>

#include "certbench/results/format.hpp"
#include "detail.hpp"

namespace certbench::gate::detail {

using results::Metric;
using results::Run;
using results::Series;

namespace {

std::optional<double> peak_heap_of(const Series& s) {
  const auto* v = s.samples_of(Metric::peak_heap);
  if (v == nullptr || v->empty()) return std::nullopt;
  return results::percentile(*v, 0.5);
}

std::string limit_text(const Tolerance& t, bool bytes) {
  if (t.relative == 0 && t.absolute == 0) return "exact";
  const auto abs_text = [&] { return bytes ? results::human_bytes(t.absolute) : results::count(t.absolute); };
  if (t.relative == 0) return "within " + abs_text();
  const auto rel_text = results::count(t.relative * 100) + "%";
  if (t.absolute == 0) return "within " + rel_text;
  return "within max(" + rel_text + ", " + abs_text() + ")";
}

}  // namespace

// A lower-is-better figure against its baseline within a tolerance.
void judge_count(Check& c, double before, double after, const Tolerance& t, bool bytes, std::string_view unit_words,
                 bool higher_better) {
  const auto show = [&](double v) { return bytes ? results::human_bytes(v) : results::count(v); };
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
          check.baseline.text = results::count(*before);
          check.current.text = "absent";
          check.limit = limit_text(t, f->bytes);
          check.outcome = Outcome::regression;
          check.detail = check.figure + " is no longer measured for this series";
        } else if (f->server && !server_diff.empty()) {
          check.baseline.value = before;
          check.baseline.text = results::count(*before);
          check.current.value = after;
          check.current.text = results::count(*after);
          check.limit = limit_text(t, f->bytes);
          check.outcome = Outcome::not_applicable;
          check.detail = "not comparable: " + server_diff;
        } else {
          judge_count(check, *before, *after, t, f->bytes, " per call", f->higher_better);
        }
      } else {
        const auto before = peak_heap_of(b), after = peak_heap_of(*c);
        if (!before || !after) {
          check.baseline.text = before ? results::human_bytes(*before) : "n/a";
          check.current.text = after ? results::human_bytes(*after) : "n/a";
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

}  // namespace certbench::gate::detail
