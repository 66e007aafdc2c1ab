// report.md's headline: the review's claims and certbench's goals judged, and the largest deltas.
#include <set>

#include "certbench/results/format.hpp"
#include "certbench/results/analysis.hpp"
#include "writer.hpp"

namespace certbench::reports::markdown {

namespace {

std::string verdict_badge(results::Outcome o) {
  switch (o) {
    case results::Outcome::below: return "**below**";
    case results::Outcome::within: return "within";
    case results::Outcome::beyond: return "**beyond**";
    case results::Outcome::inconclusive: return "inconclusive";
    case results::Outcome::met: return "met";
    case results::Outcome::not_met: return "**not met**";
    case results::Outcome::not_measured: return "not measured";
  }
  return "";
}

}  // namespace

void Writer::verdict_table(std::string_view kind) {
  line("| {} | subject | expected | measured (95% interval) | verdict |", kind == "claim" ? "the review's claim" : "certbench's goal");
  line("|---|---|---|---|---|");
  std::set<std::string> unmeasured;
  for (const auto& v : run.verdicts) {
    if (v.kind != kind) continue;
    if (v.outcome == results::Outcome::not_measured) {
      unmeasured.insert(v.text);
      continue;
    }
    line("| {} | {} | {} | {} | {} |", cell(v.text), cell(v.subject), cell(v.expected), results::verdict_figure(v),
         verdict_badge(v.outcome));
  }
  line("");
  if (!unmeasured.empty()) {
    std::string list;
    for (const auto& t : unmeasured) list += (list.empty() ? "" : "; ") + t;
    line("Not judged in this run (no figures for them): {}.", cell(list));
    line("");
  }
}

void Writer::headline() {
  line("## The review's claims, judged");
  line("");
  line("Each claim is judged on this run's figures: **below**, within or **beyond** the range the review "
       "expected, or inconclusive when the 95% interval straddles a bound. The measured figure is beside the "
       "claim, never instead of it.");
  line("");
  verdict_table("claim");
  const auto deltas = results::headline_deltas(run, 3);
  if (!deltas.empty()) {
    line("**The largest deltas** (the largest of each path family first)");
    line("");
    for (std::size_t i = 0; i < deltas.size(); ++i) {
      const auto* d = deltas[i];
      const auto* s = run.find(d->other_key);
      line("{}. **{}** {} — {}, {} ({})", i + 1, results::delta_text(*d),
           d->metric == Metric::latency ? "faster than naive" : "naive's throughput", results::subject_of(*s),
           s->implementation, s->family);
    }
    line("");
  }
  line("### certbench's own goals");
  line("");
  verdict_table("goal");
}

}  // namespace certbench::reports::markdown
