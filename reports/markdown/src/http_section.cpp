#include <fmt/format.h>

#include "certbench/reports/format.hpp"
#include "certbench/results/statistics.hpp"
#include "sections.hpp"

namespace certbench::reports::detail {

std::string http_section(const results::Run& run) {
  using results::Metric;
  const auto series = run.of_family(results::family::http);
  if (series.empty()) return "";
  std::string out =
      "## The API over HTTP\n\n"
      "Each listing endpoint of `certbench serve` (docs/api.md), started in the run's process, under wrk at each "
      "connection count: a **closed loop** — each connection sends its next request only after the answer, so the "
      "load runs at whatever rate the server allows (wrk back-fills the requests a stalled connection did not "
      "send into its percentiles). Implementations interleaved in windows; *requests/s* is the good answers of "
      "all windows over their time, each percentile the median of the windows' own, the interval over the "
      "windows. Every implementation's answer was read whole before and after its load and checked against the "
      "in-process naive page, byte for byte; under load wrk counted every answer of status 400 or more as a "
      "failure. A point without windows was not measured: a round of its closed loop (every connection answered "
      "once) would not fit the longest window.\n\n"
      "| endpoint | implementation | connections | requests/s | p50 | p90 | p99 | p99.9 | failures | statements | "
      "body bytes | throughput vs naive |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const auto* s : series) {
    if (s->samples_of(Metric::throughput) == nullptr) {
      out += fmt::format("| {} | {} | {:.0f} | not measured | | | | | | | | |\n", s->path, s->implementation,
                         s->parameter("connections").value_or(0));
      continue;
    }
    auto med = [&](Metric m) {
      const auto* v = s->samples_of(m);
      return v != nullptr && !v->empty() ? duration(results::percentile(*v, 0.5)) : std::string("—");
    };
    const auto* d = run.against_naive(*s, Metric::throughput);
    const auto stmt = s->value(Metric::statements);
    out += fmt::format("| {} | {} | {:.0f} | {:.0f} | {} | {} | {} | {} | {:.0f} | {} | {} | {} |\n", s->path,
                       s->implementation, s->parameter("connections").value_or(0),
                       s->value(Metric::throughput).value_or(0), med(Metric::latency_p50), med(Metric::latency_p90),
                       med(Metric::latency_p99), med(Metric::latency_p999), s->value(Metric::failures).value_or(0),
                       stmt ? fmt::format("{:.0f}", *stmt) : "—",
                       human_bytes(static_cast<std::uint64_t>(s->value(Metric::response_bytes).value_or(0))),
                       d ? delta_text(*d) : "—");
  }
  return out + "\n";
}

}  // namespace certbench::reports::detail
