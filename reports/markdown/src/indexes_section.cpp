// report.md's index scenario: each recommended index judged, and the listings, writes and plans under each set.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "certbench/results/format.hpp"
#include "certbench/results/analysis.hpp"
#include "writer.hpp"

namespace certbench::reports::markdown {

// The index scenario (docs/indexes.md): the review's recommended indexes judged, and what best adds.
void Writer::indexes() {
  const auto listings = family(results::family::indexes);
  if (listings.empty() && run.index_verdicts.empty()) return;
  line("## The review's index recommendations, judged");
  line("");
  line("Each index set — *none* (keys only), *review* (the review's recommendations taken literally) and *best* "
       "(what the optimized paths need) — was built on a copy of the dataset of its own, every listing measured "
       "per implementation on every copy in one set of interleaved rounds (intervals pair the rounds), and rows "
       "inserted into every certificate table of every copy, batch by batch, each batch rolled back. *scans* is "
       "`pg_stat_user_indexes.idx_scan` around a few calls of each listing run alone.");
  line("");
  line("A verdict per index: **used** — a listing scanned it and none that read it got worse than with *none*; "
       "**unused** — no listing scanned it; **harmful** — no listing scanned it but inserts into its table were "
       "measurably slower with the set (the rate's 95% interval against *none* wholly below 1), or a listing that "
       "scanned it was measurably slower than with *none* and touched no fewer buffers. *scanned by*: the listings "
       "whose `idx_scan` moved (the plans below are custom plans for the call's parameters; a prepared statement's "
       "generic plan can read other indexes).");
  line("");
  if (!run.index_verdicts.empty()) {
    line("| set | index | table | size | build | scans | scanned by | verdict | why |");
    line("|---|---|---|--:|--:|--:|---|---|---|");
    for (const auto& v : run.index_verdicts) {
      const Series* s = nullptr;
      for (const auto* x : family(results::family::index))
        if (x->path == v.table && x->implementation == v.index && x->mode == v.set) s = x;
      line("| {} | `{}`{} | {} | {} | {} | {:.0f} | {} | **{}** | {} |", v.set, v.index, v.adds ? " (best adds it)" : "",
           v.table, s ? results::human_bytes(s->value(Metric::index_size_bytes).value_or(0)) : "",
           s ? results::duration(s->value(Metric::index_build_seconds).value_or(0)) : "", v.scans,
           v.read_by.empty() ? "—" : cell(fmt::format("{}", fmt::join(v.read_by, ", "))), v.outcome, cell(v.reason));
    }
    line("");
  }
  if (!listings.empty()) {
    line("### Each listing under each set");
    line("");
    line("Median latency and shared buffers per call (hit + read, `pg_stat_statements`); *best vs review* is how "
         "many times faster the listing is with *best* than with the review's set, with its 95% interval — "
         "what *best* adds.");
    line("");
    line("| path | implementation | none | buffers | review | buffers | best | buffers | best vs review | review vs none |");
    line("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (const auto* s : listings) {
      if (s->mode != "none") continue;
      const Series* review = results::under_set(run, *s, "review");
      const Series* best = results::under_set(run, *s, "best");
      auto figures = [&](const Series* x) -> std::string {
        if (x == nullptr) return "— | —";
        const auto b = x->value(Metric::shared_buffers);
        return results::duration(summary(*x, Metric::latency).median) + " | " + (b ? results::whole(*b) : "n/a");
      };
      const auto* br = review && best ? results::find_delta(run, *review, *best, Metric::latency) : nullptr;
      const auto* rn = review ? results::find_delta(run, *s, *review, Metric::latency) : nullptr;
      line("| {} | {} | {} | {} | {} | {} | {} |", s->path, s->implementation, figures(s), figures(review),
           figures(best), br ? results::delta_text(*br) : "—", rn ? results::delta_text(*rn) : "—");
    }
    line("");
  }
  const auto writes = family(results::family::index_writes);
  if (!writes.empty()) {
    line("### The write cost");
    line("");
    line("Rows inserted per second into each certificate table (the median of the batches; each batch rolled "
         "back), and the rate against *none* with its 95% interval (below 1: slower).");
    line("");
    line("| table | set | rows per batch | rows per second | against none |");
    line("|---|---|--:|--:|--:|");
    for (const auto* w : writes) {
      const auto* none = results::under_set(run, *w, "none");
      const auto* d = none && w->mode != "none" ? results::find_delta(run, *none, *w, Metric::insert_rate) : nullptr;
      line("| {} | {} | {:.0f} | {:.0f} | {} |", w->path, w->mode, w->parameter("rows").value_or(0),
           summary(*w, Metric::insert_rate).median, d ? results::delta_text(*d) : "—");
    }
    line("");
  }
  bool plans = false;
  for (const auto& p : run.plans) plans = plans || p.family == results::family::indexes;
  if (plans) {
    line("<details><summary>the plans under each set</summary>");
    line("");
    line("| path | implementation | set | plan nodes | indexes | sequential scans | buffers |");
    line("|---|---|---|---|---|---|--:|");
    for (const auto& p : run.plans) {
      if (p.family != results::family::indexes) continue;
      std::vector<std::string> nodes, indexes;
      for (const auto& n : p.nodes)
        if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
      for (const auto& n : p.indexes)
        if (std::find(indexes.begin(), indexes.end(), n) == indexes.end()) indexes.push_back(n);
      line("| {} | {} | {} | {} | {} | {} | {:.0f} |", p.path, p.implementation, p.mode,
           cell(fmt::format("{}", fmt::join(nodes, ", "))),
           indexes.empty() ? "—" : cell(fmt::format("{}", fmt::join(indexes, ", "))),
           p.sequential_scans.empty() ? "—" : cell(fmt::format("{}", fmt::join(p.sequential_scans, ", "))),
           p.shared_hit + p.shared_read);
    }
    line("");
    line("</details>");
    line("");
  }
}

}  // namespace certbench::reports::markdown
