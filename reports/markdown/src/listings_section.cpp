// report.md's listings: one call at a time, base against head, on one event loop, and which fix for the N+1.
#include <fmt/format.h>

#include "certbench/results/format.hpp"
#include "certbench/results/advice.hpp"
#include "certbench/results/analysis.hpp"
#include "certbench/results/statistics.hpp"
#include "writer.hpp"

namespace certbench::reports::markdown {

void Writer::listings() {
  std::vector<const Series*> series;
  for (const auto* s : family(results::family::listing))
    if (s->parameter("scale") == static_cast<double>(run.environment.dataset_scale)) series.push_back(s);
  if (series.empty()) return;
  line("## Listings");
  line("");
  line("Page 1 of {:.0f} rows, every implementation called in interleaved rounds (naive, review, limited, …), "
       "so that drift hits them alike; intervals pair the rounds. *review* is the review's fix taken literally, "
       "*limited* the best measured (one statement), *pipelined* and *parallel* the review's other fix — one "
       "statement per certificate kind, sent together in one libpq pipeline or over five sessions at once, merged "
       "in memory —, *cached* the endpoint with spa and template names from an in-process cache. *statements* are "
       "what the client sent, *round trips* the times it waited for the server: a pipeline sends five statements "
       "in one round trip.",
       series.front()->parameter("size").value_or(20));
  line("");
  chart("listing_latency", "latency per implementation");
  chart("listing_peak_heap", "peak heap per call per implementation");
  line("Peak heap, allocations and bytes allocated are exact to the byte (jemalloc's per-thread totals, read after "
       "every allocation by an allocation hook), from calls metered apart from the timed ones: the hook slows every "
       "allocation.");
  line("");
  line("*server statements*, *buffers* (shared, hit + read) and *server time* are what PostgreSQL itself counted "
       "per call (`pg_stat_statements`: for a listing whose call takes 5 ms or more, read around each of its timed "
       "calls; otherwise a few calls of each implementation run alone after the rounds): the cost "
       "without the client, and without a clock for the first two.");
  line("");
  line("| path | implementation | n | median | p95 | p99 | statements | round trips | rows | received | "
       "peak heap (max) | allocations | allocated | server statements | buffers | server time | latency vs naive | "
       "peak heap vs naive |");
  line("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const auto* s : series) {
    const auto lat = summary(*s, Metric::latency);
    const auto heap = summary(*s, Metric::peak_heap);
    const auto allocs = summary(*s, Metric::allocations);
    const auto allocated = summary(*s, Metric::bytes_allocated);
    const auto* dl = delta(*s, Metric::latency);
    const auto* dh = delta(*s, Metric::peak_heap);
    auto figure = [&](Metric m, bool bytes) {
      const auto v = s->value(m);
      if (!v) return std::string("—");
      return bytes ? results::human_bytes(*v) : results::whole(*v);
    };
    const auto server_time = s->value(Metric::server_execution);
    line("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |", s->path,
         s->implementation, lat.n, results::duration(lat.median), results::duration(lat.p95), results::duration(lat.p99),
         s->value(Metric::statements) ? figure(Metric::statements, false) : figure(Metric::round_trips, false),
         figure(Metric::round_trips, false),
         figure(Metric::rows_received, false), figure(Metric::bytes_received, true),
         heap.n ? results::human_bytes(heap.max) : "n/a",
         allocs.n ? results::thousands(static_cast<std::uint64_t>(allocs.median)) : "n/a",
         allocated.n ? results::human_bytes(allocated.median) : "n/a", figure(Metric::server_statements, false),
         figure(Metric::shared_buffers, false), server_time ? results::duration(*server_time) : "—", dl ? results::delta_text(*dl) : "—",
         dh ? results::delta_text(*dh) : "—");
  }
  line("");
}

// run --compare-binary: the old build (base) and this one (head), the ratio the gate judges.
void Writer::compare() {
  const auto series = family(results::family::compare);
  if (series.empty()) return;
  line("## Base against head");
  line("");
  line("Two builds' workers served the same pages on this dataset in interleaved rounds (the first of each round "
       "alternating); each worker timed its own batch of calls. `certbench gate --current results.json` judges "
       "head/base per path: a Mann–Whitney U test with Holm's correction, this interval, the policy's threshold and "
       "absolute floor (docs/gate.md).");
  line("");
  for (const auto& b : run.environment.builds) line("- {}: `{}` ({})", b.role, b.binary, b.version);
  line("");
  line("| path | implementation | rounds | batch | base median | head median | head/base (95% interval) |");
  line("|---|---|--:|--:|--:|--:|--:|");
  for (const auto* head : series) {
    if (head->mode != "head") continue;
    Series key_of = *head;
    key_of.mode = "base";
    const auto* base = run.find(key_of.key());
    const auto* hs = head->samples_of(Metric::latency);
    const auto* bs = base == nullptr ? nullptr : base->samples_of(Metric::latency);
    if (bs == nullptr || hs == nullptr || bs->empty() || hs->empty()) continue;
    const auto r = results::ratio_interval(*hs, *bs, bs->size() == hs->size(), "head_base|" + head->key());
    line("| {} | {} | {} | {:.0f} | {} | {} | {} |", head->path, head->implementation, hs->size(),
         head->value(Metric::batch).value_or(1), results::duration(results::percentile(*bs, 0.5)),
         results::duration(results::percentile(*hs, 0.5)), results::ratio_text(r.factor, r.method));
  }
  line("");
}

void Writer::loop() {
  const auto series = family(results::family::listing_loop);
  if (series.empty()) return;
  line("## Listings on one event loop");
  line("");
  line("Concurrent requests on one event loop (like the backend's async server), the database on a pool of "
       "{:.0f} sessions off the loop; three interleaved repetitions per point, whose spread makes the interval.",
       series.front()->parameter("sessions").value_or(0));
  line("");
  chart("loop_throughput", "pages per second per implementation");
  chart("loop_lag", "event-loop lag p99 per implementation");
  const auto paths = paths_of(series);
  for (const auto& p : paths) {
    chart("loop_" + p + "_throughput", p + ": pages per second against concurrency");
    chart("loop_" + p + "_lag", p + ": event-loop lag p99 against concurrency");
  }
  line("*lag p99* is the median of the repetitions' p99 of the event-loop lag.");
  line("");
  line("*sessions held* is the pool's sessions in use averaged over the window, of its size; *wait p99* a "
       "request's wait for one (queued for a pool thread, which owns a session).");
  line("");
  line("| path | implementation | concurrent | pages/s | p50 | p99 | lag p99 | sessions held | wait p99 | "
       "throughput vs naive |");
  line("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const auto* s : series) {
    const auto lat = summary(*s, Metric::latency), lag = summary(*s, Metric::event_loop_lag_p99);
    const auto* d = delta(*s, Metric::throughput);
    line("| {} | {} | {:.0f} | {:.0f} | {} | {} | {} | {} | {} |", s->path, s->implementation,
         s->parameter("concurrency").value_or(0), s->value(Metric::throughput).value_or(0), results::duration(lat.median),
         results::duration(lat.p99), lag.n ? results::duration(lag.median) : "—", pool_cells(*s), d ? results::delta_text(*d) : "—");
  }
  line("");
}

// The review's two fixes for the N+1, and which to take: results::advise_listing_fix on this run.
void Writer::fix_advice() {
  const auto advice = results::advise_listing_fix(run);
  if (advice.empty()) return;
  line("## Which fix for the N+1");
  line("");
  line("The review offers two fixes for the per-kind queries: one statement (UNION ALL — *limited*, each branch "
       "ordered and limited by its index) or the per-kind statements executed in parallel (*pipelined*: in one "
       "libpq pipeline on the session; *parallel*: over five sessions at once). The rule, applied by code to this "
       "run's figures: a per-kind fix is advised only when its latency one call at a time, or its throughput on the "
       "event loop at the highest concurrency, is better than the one statement's with 95% confidence, and "
       "worse with confidence on neither; a factor decides only with at least 5 samples a side (the loop's "
       "throughput has one per repetition) (docs/listing.md).");
  line("");
  line("| path | implementation | statements | round trips | rows received | median | vs one statement | "
       "pages/s on the loop (concurrent) | vs one statement |");
  line("|---|---|--:|--:|--:|--:|--:|--:|--:|");
  auto num = [](const std::optional<double>& v) { return v ? results::whole(*v) : std::string("—"); };
  auto fac = [](const std::optional<results::Interval>& f, const std::string& method) {
    return f ? results::ratio_text(*f, method) : std::string("—");
  };
  for (const auto& a : advice)
    for (const auto& o : a.options)
      line("| {} | {}{} | {} | {} | {} | {} | {} | {} | {} |", a.path, o.implementation,
           o.implementation == a.chosen ? " **(advised)**" : "", num(o.statements), num(o.round_trips),
           num(o.rows_received), results::duration(o.latency), o.implementation == "limited" ? "—" : fac(o.latency_factor, o.latency_method),
           o.throughput ? fmt::format("{:.0f} ({:.0f})", *o.throughput, a.concurrency) : std::string("—"),
           o.implementation == "limited" ? "—" : fac(o.throughput_factor, o.throughput_method));
  line("");
  for (const auto& a : advice) line("- **{}**: {}.", a.path, a.reason);
  line("");
}

}  // namespace certbench::reports::markdown
