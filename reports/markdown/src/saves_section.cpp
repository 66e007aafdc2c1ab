// report.md's file saves (families file_save and ceiling), per path and concurrency.
#include <algorithm>

#include "certbench/results/format.hpp"
#include "writer.hpp"

namespace certbench::reports::markdown {

void Writer::saves() {
  auto series = family(results::family::file_save);
  for (const auto* s : family(results::family::ceiling)) series.push_back(s);
  if (series.empty()) return;
  line("## File saves");
  line("");
  line("Each request saves a file (a {:.0f}-byte image as a data URL, or a PDF) and records its path on the "
       "certificate's row, at 1 to 64 concurrent requests on one event loop. *naive* decodes and writes on the "
       "loop; *aiofiles*, the review's fix, writes on a thread pool and decodes on the loop; *thread_pool* also "
       "decodes off the loop; *io_uring* submits every step to the kernel; *write-only* is the disk's ceiling: the atomic write alone on as many threads.",
       series.front()->parameter("bytes").value_or(0));
  line("");
  const auto paths = paths_of(series);
  for (const auto& path : paths) {
    line("### {}", path);
    line("");
    chart("saves_" + path + "_throughput", path + " throughput");
    chart("saves_" + path + "_lag", path + " event-loop lag");
    std::vector<const Series*> mine;
    for (const auto* s : series)
      if (s->path == path) mine.push_back(s);
    std::stable_sort(mine.begin(), mine.end(), [](const Series* a, const Series* b) {
      return a->parameter("concurrency") < b->parameter("concurrency");
    });
    line("| implementation | concurrent | saves/s | p50 | p99 | lag p99 | recorder sessions held | wait p99 | "
         "throughput vs naive |");
    line("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (const auto* s : mine) {
      const auto lat = summary(*s, Metric::latency), lag = summary(*s, Metric::event_loop_lag_p99);
      const auto* d = delta(*s, Metric::throughput);
      line("| {} | {:.0f} | {:.0f} | {} | {} | {} | {} | {} |", s->implementation,
           s->parameter("concurrency").value_or(0), s->value(Metric::throughput).value_or(0), results::duration(lat.median),
           results::duration(lat.p99), lag.n ? results::duration(lag.median) : "—", pool_cells(*s), d ? results::delta_text(*d) : "—");
    }
    line("");
  }
}

}  // namespace certbench::reports::markdown
