#include <fmt/format.h>

#include <algorithm>

#include "certbench/results/format.hpp"
#include "certbench/results/anatomy.hpp"
#include "certbench/results/statistics.hpp"
#include "sections.hpp"

namespace certbench::reports::detail {

namespace {

// A percentile's median over windows, "—" where no window had one.
std::string median_of(const results::Series& s, results::Metric m) {
  const auto* v = s.samples_of(m);
  return v != nullptr && !v->empty() ? results::duration(results::percentile(*v, 0.5)) : std::string("—");
}

// Where a request's time went in serve: each closed-loop series' request anatomy.
std::string request_anatomy_part(const std::vector<const results::Series*>& series) {
  std::string rows;
  auto part = [](const std::optional<double>& v) { return v ? results::duration(*v) : std::string("—"); };
  for (const auto* s : series) {
    const auto a = results::request_anatomy_of(*s);
    if (!a) continue;
    const auto heap = s->value(results::Metric::peak_heap);
    const auto allocations = s->value(results::Metric::allocations);
    rows += fmt::format("| {} | {} | {:.0f} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", s->path,
                        s->implementation, s->parameter("connections").value_or(0), results::duration(a->server_time),
                        results::duration(a->queue), results::duration(a->client_cpu), part(a->planning), part(a->execution),
                        part(a->waiting), results::duration(a->statement_cpu),
                        heap ? results::human_bytes(*heap) : "—",
                        allocations ? results::whole(*allocations) : "—",
                        a->resident_bytes ? results::human_bytes(*a->resident_bytes) : "—");
  }
  if (rows.empty()) return "";
  return "### Where a request's time went in the server\n\n"
         "Each window's mean request as serve saw it — the sums of its answers' `Server-Timing` entries and the "
         "database server's time over the window (`pg_stat_statements`), divided by the requests answered — for the "
         "window whose mean time *in server* is the median: *queue* (for a worker thread and a session of the "
         "implementation's pool), *client CPU* (the worker's CPU outside libpq: decoding, building the page and its "
         "JSON), the database server's *planning* and *execution*, and *waiting*, the rest (round trips, libpq, the "
         "kernel, scheduling): they add up to *in server*. *libpq CPU* lies within waiting. *Peak heap* and "
         "*allocations*: one request's, metered exactly (jemalloc) on a request alone, apart from the timed ones. "
         "*RSS*: the serving process's resident bytes after the window (certbench's own: serve runs in it).\n\n"
         "| endpoint | implementation | connections | in server | queue | client CPU | planning | execution | "
         "waiting | libpq CPU | peak heap | allocations | RSS |\n"
         "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n" +
         rows + "\n";
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
      " connections — at a share of the endpoint's capacity (the most requests per second `limited` answered in "
      "the closed loop, else the fastest implementation measured), **the same schedule for every "
      "implementation**, so a slower one falls behind instead of slowing the clock. Response times count from each request's intended start; a request not answered "
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
    out += fmt::format("| {} | {} | {:.0f}% | {:.0f} | {:.0f} | {} | {} | {} | {} | {} | {} |\n", s->path,
                       s->implementation, 100 * s->parameter("capacity_share").value_or(0),
                       s->value(Metric::offered_rate).value_or(0), s->value(Metric::throughput).value_or(0),
                       median_of(*s, Metric::latency_p50), median_of(*s, Metric::latency_p90),
                       median_of(*s, Metric::latency_p99), median_of(*s, Metric::latency_p999),
                       results::percent(requests > 0 ? s->value(Metric::failures).value_or(0) / requests : 0.0),
                       d ? results::delta_text(*d) : "—");
  }
  out += "\n";
  for (const auto& name : charts)
    if (name.rfind("http_", 0) == 0) out += fmt::format("![{}](charts/{}.svg)\n", name, name);
  return out + "\n";
}

std::string mixed_part(const results::Run& run, const std::vector<const results::Series*>& series) {
  using results::Metric;
  if (series.empty()) return "";
  const results::Series* alone = nullptr;
  for (const auto* s : series)
    if (s->parameter("uploads") == 0.0) alone = s;
  auto median = [](const results::Series& s, Metric m) {
    const auto* v = s.samples_of(m);
    return v != nullptr && !v->empty() ? results::percentile(*v, 0.5) : 0.0;
  };
  std::string out = fmt::format(
      "### Mixed traffic: listings beside uploads\n\n"
      "The review's concurrency problem as the backend's users meet it: `serve` saves files on its event loop, as "
      "the backend's async server does, so a save that blocks the loop holds back every other request. "
      "`limited`'s public listing runs at {:.0f} requests/s on a fixed schedule (the open-loop generator), alone "
      "and while wrk keeps uploads of a {:.0f} kB image (`save_base64_image`) in flight on one save implementation; "
      "serve's event-loop lag (a 1 ms timer on its loop) is measured meanwhile. Implementations interleaved in "
      "windows; each figure the median of the windows'.\n\n"
      "| saves | uploads | uploads/s | listings' p50 | listings' p99 | p99 / alone | loop lag p99 | failures | "
      "listings' p99 vs naive's |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n",
      series.front()->parameter("listing_rate").value_or(0), series.front()->parameter("image_bytes").value_or(0) / 1000);
  for (const auto* s : series) {
    const auto* d = run.against_naive(*s, Metric::latency_p99);
    const double p99 = median(*s, Metric::latency_p99), p99_alone = alone != nullptr ? median(*alone, Metric::latency_p99) : 0;
    const auto* uploads = s->samples_of(Metric::throughput);
    out += fmt::format("| {} | {:.0f} | {} | {} | {} | {} | {} | {:.0f} | {} |\n", s->implementation,
                       s->parameter("uploads").value_or(0),
                       uploads != nullptr && !uploads->empty() ? fmt::format("{:.0f}", results::percentile(*uploads, 0.5)) : "—",
                       median_of(*s, Metric::latency_p50), median_of(*s, Metric::latency_p99),
                       s != alone && p99 > 0 && p99_alone > 0 ? results::factor(p99 / p99_alone) : "—",
                       median_of(*s, Metric::event_loop_lag_p99), s->value(Metric::failures).value_or(0),
                       d ? results::delta_text(*d) : "—");
  }
  return out + "\n";
}

}  // namespace

std::string http_section(const results::Run& run, const std::vector<std::string>& charts) {
  using results::Metric;
  auto series = run.of_family(results::family::http);
  auto open = series, mixed = series;
  std::erase_if(series, [](const results::Series* s) { return s->mode != "closed_loop"; });
  std::erase_if(open, [](const results::Series* s) { return s->mode != "open_loop"; });
  std::erase_if(mixed, [](const results::Series* s) { return s->mode != "mixed"; });
  if (series.empty())
    return open.empty() && mixed.empty() ? ""
                                         : "## The API over HTTP\n\n" + open_loop_part(run, open, charts) + mixed_part(run, mixed);
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
                       stmt ? results::whole(*stmt) : "—",
                       results::human_bytes(s->value(Metric::response_bytes).value_or(0)),
                       d ? results::delta_text(*d) : "—");
  }
  return out + "\n" + request_anatomy_part(series) + open_loop_part(run, open, charts) + mixed_part(run, mixed);
}

}  // namespace certbench::reports::detail
