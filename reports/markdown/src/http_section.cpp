#include <fmt/format.h>

#include <algorithm>

#include "certbench/reports/format.hpp"
#include "certbench/results/statistics.hpp"
#include "sections.hpp"

namespace certbench::reports::detail {

namespace {

// A percentile's median over windows, "—" where no window had one.
std::string median_of(const results::Series& s, results::Metric m) {
  const auto* v = s.samples_of(m);
  return v != nullptr && !v->empty() ? duration(results::percentile(*v, 0.5)) : std::string("—");
}

std::string open_loop_part(const results::Run& run, const std::vector<const results::Series*>& series,
                           const std::vector<std::string>& charts) {
  using results::Metric;
  if (series.empty()) return "";
  std::string out =
      "### Under an open loop\n\n"
      "certbench's generator (`loadgen/open_loop.hpp`) sends each endpoint's requests on a **fixed schedule** — "
      "request *i* due at start + *i*/rate over at most " +
      fmt::format("{:.0f}", series.front()->parameter("connections").value_or(0)) +
      " connections — at a share of the endpoint's capacity (the most requests per second `optimized` answered in "
      "the closed loop), **the same schedule for every implementation**, so a slower one falls behind instead of "
      "slowing the clock. Response times count from each request's intended start; a request not answered "
      "within the deadline is dropped and counted as failed, beyond every answer: a percentile those reach is "
      "not shown (—). Implementations interleaved in windows; each percentile the median of the windows' own; "
      "a sample of the good answers' bodies was checked against the in-process naive page. An implementation is "
      "offered a higher share only if it answered 90% of the schedule at the share before.\n\n"
      "| endpoint | implementation | load | offered req/s | answered req/s | p50 | p90 | p99 | p99.9 | failed | "
      "answered vs naive |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  for (const auto* s : series) {
    if (s->samples_of(Metric::throughput) == nullptr) {
      out += fmt::format("| {} | {} | {:.0f}% | {:.0f} | not offered: it fell behind at the share before | | | | | | |\n",
                         s->path, s->implementation, 100 * s->parameter("capacity_share").value_or(0),
                         s->value(Metric::offered_rate).value_or(0));
      continue;
    }
    const double requests = s->value(Metric::requests).value_or(0);
    const auto* d = run.against_naive(*s, Metric::throughput);
    out += fmt::format("| {} | {} | {:.0f}% | {:.0f} | {:.0f} | {} | {} | {} | {} | {:.1f}% | {} |\n", s->path,
                       s->implementation, 100 * s->parameter("capacity_share").value_or(0),
                       s->value(Metric::offered_rate).value_or(0), s->value(Metric::throughput).value_or(0),
                       median_of(*s, Metric::latency_p50), median_of(*s, Metric::latency_p90),
                       median_of(*s, Metric::latency_p99), median_of(*s, Metric::latency_p999),
                       requests > 0 ? 100 * s->value(Metric::failures).value_or(0) / requests : 0.0,
                       d ? delta_text(*d) : "—");
  }
  out += "\n";
  for (const auto& name : charts)
    if (name.rfind("http_", 0) == 0) out += fmt::format("![{}](charts/{}.svg)\n", name, name);
  return out + "\n";
}

}  // namespace

std::string http_section(const results::Run& run, const std::vector<std::string>& charts) {
  using results::Metric;
  auto series = run.of_family(results::family::http);
  auto open = series;
  std::erase_if(series, [](const results::Series* s) { return s->mode != "closed_loop"; });
  std::erase_if(open, [](const results::Series* s) { return s->mode != "open_loop"; });
  if (series.empty()) return open.empty() ? "" : "## The API over HTTP\n\n" + open_loop_part(run, open, charts);
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
    auto med = [&](Metric m) { return median_of(*s, m); };
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
  return out + "\n" + open_loop_part(run, open, charts);
}

}  // namespace certbench::reports::detail
