// The end of the terminal report: the review's claims and certbench's goals judged, then the
// headline deltas.
#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>

#include "certbench/reports/terminal.hpp"
#include "certbench/results/analysis.hpp"
#include "certbench/results/format.hpp"
#include "printer.hpp"

namespace certbench::reports {
namespace {

using results::Outcome;
using results::Verdict;

// The worst news first.
constexpr Outcome kOrder[] = {Outcome::below,  Outcome::not_met, Outcome::inconclusive, Outcome::within,
                              Outcome::beyond, Outcome::met,     Outcome::not_measured};

// A claim judged on `judged` (its subjects, in the run's order) in a line: the claim with the span
// of their figures, then how many got each verdict, the worst first.
std::string claim_line(const std::vector<const Verdict*>& judged) {
  std::map<Outcome, int> counts;
  double low = 0, high = 0;
  bool any = false;
  for (const auto* v : judged) {
    ++counts[v->outcome];
    if (!v->measured) continue;
    const double x = v->measured->estimate;
    low = any ? std::min(low, x) : x;
    high = any ? std::max(high, x) : x;
    any = true;
  }
  const auto& first = *judged.front();
  std::string line = fmt::format("{} {}", first.kind, first.text);
  if (any) line += ": " + results::verdict_value(first, low) + (low == high ? "" : " to " + results::verdict_value(first, high));
  std::string outcomes;
  for (auto o : kOrder) {
    if (!counts.contains(o)) continue;
    if (!outcomes.empty()) outcomes += ", ";
    outcomes += judged.size() == 1 ? std::string(results::to_string(o)) : fmt::format("{} {}", counts[o], results::to_string(o));
  }
  return line + " — " + outcomes;
}

}  // namespace

void print_verdicts(const results::Run& run, std::FILE* out, VerdictDetail detail) {
  if (run.verdicts.empty()) return;
  const terminal::Printer p{run, out};
  // The claims in the run's order, each with its subjects; a claim none of whose subjects were
  // measured is named at the end instead.
  std::vector<std::vector<const Verdict*>> claims;
  for (const auto& v : run.verdicts) {
    if (claims.empty() || claims.back().front()->text != v.text) claims.emplace_back();
    claims.back().push_back(&v);
  }
  std::set<std::string> unmeasured;
  std::erase_if(claims, [&unmeasured](const auto& subjects) {
    const bool none = std::all_of(subjects.begin(), subjects.end(),
                                  [](const Verdict* v) { return v->outcome == Outcome::not_measured; });
    if (none) unmeasured.insert(subjects.front()->id);
    return none;
  });
  if (detail == VerdictDetail::each_claim) {
    p.print("\nthe review's claims and certbench's goals on this run's figures (each subject, its interval: report.md):\n");
    for (const auto& judged : claims) p.wrapped(claim_line(judged), "  ", 118, "    ");
  } else {
    p.print("\nthe review's claims and certbench's goals, judged on this run's figures (95% intervals):\n");
    for (const auto& judged : claims) {
      const auto& claim = *judged.front();
      p.wrapped(fmt::format("{} {}: expected {}", claim.kind, claim.text, claim.expected), "  ", 118, "    ");
      for (const auto* v : judged) {
        // Within 120 columns: a subject longer than its column has a line of its own.
        constexpr std::size_t kSubject = 56;
        if (v->subject.size() > kSubject) p.print("    {}\n", v->subject);
        p.print("    {:<{}} {:<40} {}\n", v->subject.size() > kSubject ? "" : v->subject, kSubject,
                results::verdict_figure(*v), results::to_string(v->outcome));
      }
    }
  }
  if (!unmeasured.empty()) {
    std::string ids;
    for (const auto& id : unmeasured) ids += (ids.empty() ? "" : ", ") + id;
    p.print("  not judged (no figures for them in this run): {}\n", ids);
  }
}

namespace terminal {

void print_headline(const Printer& p) {
  const auto deltas = results::headline_deltas(p.run, 3);
  if (deltas.empty()) return;
  p.print("\nheadline deltas (the largest of each family in this run):\n");
  for (const auto* d : deltas) {
    const auto* s = p.run.find(d->other_key);
    p.wrapped(fmt::format("{} {} — {}, {} ({})", results::delta_text(*d),
                          d->metric == results::Metric::latency ? "faster than naive" : "naive's throughput",
                          results::subject_of(*s), s->implementation, s->family),
              "  ", 118, "    ");
  }
}

}  // namespace terminal
}  // namespace certbench::reports
