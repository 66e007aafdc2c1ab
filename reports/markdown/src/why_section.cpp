// report.md's "why": the statements behind the listing figures, as PostgreSQL planned and executed them.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "writer.hpp"

namespace certbench::reports::markdown {

void Writer::why() {
  if (std::none_of(run.plans.begin(), run.plans.end(),
                   [](const results::Plan& p) { return p.family != results::family::indexes; }))
    return;
  line("## Why: the statements behind the listing figures");
  line("");
  line("After the measurement each implementation made one more call with its statements captured, and each "
       "distinct statement ran once under `EXPLAIN (ANALYZE, BUFFERS)` with that call's parameters. "
       "*buffers* are shared buffers touched (hit + read): the cost that does not depend on the clock.");
  line("");
  std::vector<results::Plan> listing_plans;  // the index scenario's have a section of their own
  for (const auto& p : run.plans)
    if (p.family != results::family::indexes) listing_plans.push_back(p);
  const auto paths = paths_of(listing_plans);
  for (const auto& path : paths) {
    line("### {}", path);
    line("");
    line("| implementation | statement runs per call | plan nodes | indexes | sequential scans | rows | buffers | execution |");
    line("|---|--:|---|---|---|--:|--:|--:|");
    for (const auto& p : listing_plans) {
      if (p.path != path) continue;
      std::vector<std::string> nodes;
      for (const auto& n : p.nodes)
        if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
      std::vector<std::string> indexes;
      for (const auto& n : p.indexes)
        if (std::find(indexes.begin(), indexes.end(), n) == indexes.end()) indexes.push_back(n);
      line("| {} | {} | {} | {} | {} | {:.0f} | {:.0f} | {} |", p.implementation, p.executions,
           cell(fmt::format("{}", fmt::join(nodes, ", "))),
           indexes.empty() ? "—" : cell(fmt::format("{} ({})", indexes.front(), indexes.size())),
           p.sequential_scans.empty() ? "—" : cell(fmt::format("{}", fmt::join(p.sequential_scans, ", "))), p.rows,
           p.shared_hit + p.shared_read, results::duration(p.execution_ms / 1000));
    }
    line("");
    line("<details><summary>the statements</summary>");
    line("");
    for (const auto& p : listing_plans)
      if (p.path == path) {
        line("*{}*, {} per call:", p.implementation, p.executions);
        line("");
        line("```sql");
        line("{}", p.statement);
        line("```");
        line("");
      }
    line("</details>");
    line("");
  }
}

}  // namespace certbench::reports::markdown
