#include "certbench/reports/terminal.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <set>

#include "certbench/results/format.hpp"
#include "certbench/results/advice.hpp"
#include "certbench/results/anatomy.hpp"
#include "certbench/results/analysis.hpp"
#include "certbench/results/statistics.hpp"
#include "printer.hpp"

namespace certbench::reports {
namespace {

using results::Delta;
using results::Metric;
using results::Run;
using results::Series;
using terminal::Printer;
using terminal::summary;

void print_listings(const Printer& p) {
  // The run's own dataset here; the other scales of a sweep under "how cost grows".
  std::vector<const Series*> series;
  for (const auto* s : p.family(results::family::listing))
    if (s->parameter("scale") == static_cast<double>(p.run.environment.dataset_scale)) series.push_back(s);
  if (series.empty()) return;
  const auto page = series.front()->parameter("size").value_or(0);
  p.print("\nlistings: page 1 of {:.0f} rows; calls interleaved across implementations; per call (allocations, bytes "
          "received: report.md)\n",
          page);
  p.print("  {:<31} {:<9} {:>4} {:>9} {:>9} {:>5} {:>5} {:>7} {:>9}\n", "path", "impl", "n", "median", "p95", "stmts",
          "trips", "rows", "heap max");
  for (const auto* s : series) {
    const auto lat = summary(*s, Metric::latency);
    const auto heap = summary(*s, Metric::peak_heap);
    const auto trips = s->value(Metric::round_trips).value_or(0);
    p.print("  {:<31} {:<9} {:>4} {:>9} {:>9} {:>5.0f} {:>5.0f} {:>7} {:>9}\n", s->path, s->implementation, lat.n,
            results::duration(lat.median), results::duration(lat.p95), s->value(Metric::statements).value_or(trips), trips,
            results::thousands(static_cast<std::uint64_t>(s->value(Metric::rows_received).value_or(0))),
            heap.n > 0 ? results::human_bytes(heap.max) : std::string("n/a"));
  }
  p.print("\n  against naive, times better (95% interval; paired rounds):\n");
  p.print("  {:<31} {:<9} {:<24} {:<24} {}\n", "path", "impl", "latency", "peak heap", "round trips");
  for (const auto* s : series) {
    if (s->implementation == "naive") continue;
    const auto* lat = p.delta(*s, Metric::latency);
    const auto* heap = p.delta(*s, Metric::peak_heap);
    const auto* trips = p.delta(*s, Metric::round_trips);
    // Why a peak-heap delta is missing: no heap figures at all, or a side that held nothing.
    const char* no_heap = summary(*s, Metric::peak_heap).n > 0 ? "n/a (a side held none)" : "n/a (no jemalloc)";
    p.print("  {:<31} {:<9} {:<24} {:<24} {}\n", s->path, s->implementation, lat ? results::delta_text(*lat) : "n/a",
            heap ? results::delta_text(*heap) : no_heap, trips ? results::delta_text(*trips) : "n/a");
  }
}

// Where each call's time went (results/anatomy.hpp), for the listings and the caching and derived
// paths at the run's own scale.
void print_anatomy(const Printer& p) {
  const auto rows = results::anatomies_of(p.run);
  if (rows.empty()) return;
  p.print("\nwhere the time goes: the median call = client CPU + the server's planning + execution + waiting\n");
  p.print("  {:<31} {:<9} {:<4} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>5}\n", "path", "impl", "mode", "median",
          "client cpu", "decoding", "planning", "execution", "waiting", "trips");
  auto part = [](const std::optional<double>& v) { return v ? results::duration(*v) : std::string("-"); };
  std::string planning_heavy;
  for (const auto& [s, a, trips] : rows) {
    p.print("  {:<31} {:<9} {:<4} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>5}\n", s->path, s->implementation, s->mode,
            results::duration(a.latency), results::duration(a.client_cpu), part(a.decode_cpu), part(a.planning), part(a.execution),
            part(a.waiting), trips ? results::whole(*trips) : std::string("-"));
    if (a.planning_dominates()) planning_heavy += (planning_heavy.empty() ? "" : ", ") + s->path + " " + s->implementation;
  }
  if (!planning_heavy.empty())
    p.wrapped("the server spends longer planning than executing for: " + planning_heavy);
  p.wrapped("client cpu: the thread's own (decoding, sorting, building the result), of which decoding the rows where "
            "the implementation marks it; waiting: the rest (round trips, libpq, the kernel, scheduling); '-' not "
            "measured; libpq's own CPU per call: report.md");
}

// run --compare-binary: each path's head (this build) against its base (the old build), the same
// ratio and interval the gate judges (certbench gate decides; this only shows the figures).
void print_compare(const Printer& p) {
  const auto series = p.family(results::family::compare);
  if (series.empty()) return;
  p.print("\nbase against head: two builds' workers, interleaved rounds on this dataset; per call\n");
  for (const auto& b : p.run.environment.builds) p.print("  {} {} ({})\n", b.role, b.binary, b.version);
  p.print("  {:<32} {:<10} {:>5} {:>6} {:>11} {:>11}  {}\n", "path", "impl", "n", "batch", "base median",
          "head median", "head/base (95% interval)");
  for (const auto* head : series) {
    if (head->mode != "head") continue;
    Series key_of = *head;
    key_of.mode = "base";
    const auto* base = p.run.find(key_of.key());
    const auto* hs = head->samples_of(Metric::latency);
    const auto* bs = base == nullptr ? nullptr : base->samples_of(Metric::latency);
    if (bs == nullptr || hs == nullptr || bs->empty() || hs->empty()) continue;
    const auto r = results::ratio_interval(*hs, *bs, bs->size() == hs->size(), "head_base|" + head->key());
    p.print("  {:<32} {:<10} {:>5} {:>6.0f} {:>11} {:>11}  {}\n", head->path, head->implementation, hs->size(),
            head->value(Metric::batch).value_or(1), results::duration(results::percentile(*bs, 0.5)),
            results::duration(results::percentile(*hs, 0.5)), results::ratio_text(r.factor, r.method));
  }
  p.print("  (above 1: the head is slower; certbench gate --current RESULTS.json judges it)\n");
}

void print_growth(const Printer& p) {
  if (p.run.fits.empty()) return;
  p.print("\nhow cost grows with the dataset: cost ~ scale^k, k fitted on the medians (95% interval); 1 = linear, "
          "0 = flat\n");
  // Within 120 columns for three scales: the scales as 1k, 10k, 100k (the dataset line has them whole).
  auto scale_text = [](double scale) {
    const auto n = static_cast<std::uint64_t>(scale);
    if (n >= 1'000'000 && n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "M";
    if (n >= 1'000 && n % 1'000 == 0) return std::to_string(n / 1'000) + "k";
    return results::thousands(n);
  };
  p.print("  {:<31} {:<9} {:<9} {:>19}  {}\n", "path", "impl", "metric", "k", "medians at each scale");
  for (const auto& f : p.run.fits) {
    std::string medians;
    for (double scale : f.scales)
      for (const auto& s : p.run.series)
        if (s.family == f.family && s.path == f.path && s.implementation == f.implementation &&
            s.parameter("scale") == scale)
          if (const auto* v = s.samples_of(f.metric)) {
            const double m = results::percentile(*v, 0.5);
            medians += fmt::format("{}{}: {}", medians.empty() ? "" : ", ", scale_text(scale),
                                   f.metric == Metric::latency ? results::duration(m) : results::human_bytes(m));
          }
    p.print("  {:<31} {:<9} {:<9} {:>19}  {}\n", f.path, f.implementation, results::name(f.metric),
            results::interval_text(f.exponent, results::exponent), medians);
  }
}

void print_depth(const Printer& p) {
  const auto series = p.family(results::family::listing_depth);
  if (series.empty()) return;
  p.print("\ndeep pages ({} at scale {}): OFFSET pages cost more the deeper they are; keyset pages should not\n",
          series.front()->implementation, results::thousands(static_cast<std::uint64_t>(series.front()->parameter("scale").value_or(0))));
  p.print("  {:<32} {:<7} {:>6} {:>10} {:>10} {:>8}\n", "path", "by", "page", "median", "p95", "rows");
  for (const auto* s : series) {
    const auto lat = summary(*s, Metric::latency);
    p.print("  {:<32} {:<7} {:>6.0f} {:>10} {:>10} {:>8.0f}\n", s->path, s->parameter("keyset").value_or(0) ? "keyset" : "offset",
            s->parameter("page").value_or(0), results::duration(lat.median), results::duration(lat.p95),
            s->value(Metric::rows_received).value_or(0));
  }
}

// One row per series at each concurrency: the pool's figures, the heap and the loop's worst lag are in
// report.md.
void print_load_table(const Printer& p, const std::vector<const Series*>& series, std::string_view unit) {
  p.print("  {:<31} {:<11} {:>4} {:>7} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8}\n", "path", "impl", "conc", "reached",
          "requests", std::string(unit) + "/s", "p50", "p99", "lag p99", "wait p99");
  for (const auto* s : series) {
    const auto lat = summary(*s, Metric::latency);
    const auto lag = summary(*s, Metric::event_loop_lag_p99);  // each repetition's p99
    const auto wait = summary(*s, Metric::pool_wait);           // a request's wait for a database session
    p.print("  {:<31} {:<11} {:>4.0f} {:>7.0f} {:>8.0f} {:>9.1f} {:>8} {:>8} {:>8} {:>8}\n", s->path, s->implementation,
            s->parameter("concurrency").value_or(0), s->value(Metric::concurrency_reached).value_or(0),
            s->value(Metric::requests).value_or(0),
            s->value(Metric::throughput).value_or(0), results::duration(lat.median), results::duration(lat.p99),
            lag.n ? results::duration(lag.median) : "-", wait.n ? results::duration(wait.p99) : "-");
  }
}

void print_listing_loop(const Printer& p) {
  const auto series = p.family(results::family::listing_loop);
  if (series.empty()) return;
  p.print("\nlistings on one event loop: page 1, the database on a pool of {:.0f} sessions (off the loop)\n",
          series.front()->parameter("sessions").value_or(0));
  print_load_table(p, series, "calls");
  p.print("\n  throughput against naive at the same concurrency, times better (95% interval over repetitions):\n");
  for (const auto* s : series)
    if (s->implementation != "naive")
      if (const auto* d = p.delta(*s, Metric::throughput))
        p.print("  {:<31} {:<11} at {:>3.0f} concurrent  {}\n", s->path, s->implementation,
                s->parameter("concurrency").value_or(0), results::delta_text(*d));
}

// Which of the review's fixes for the N+1: results::advise_listing_fix's rule on this run's figures.
void print_fix_advice(const Printer& p) {
  const auto advice = results::advise_listing_fix(p.run);
  if (advice.empty()) return;
  p.print("\n  which fix for the N+1 (one statement, or the per-kind statements in parallel), from this run:\n");
  for (const auto& a : advice) {
    p.print("  {}:\n", a.path);
    p.wrapped(a.reason, "    ");
  }
}

void print_caching(const Printer& p) {
  auto series = p.family(results::family::caching);
  const auto derived = p.family(results::family::derived);
  if (series.empty() && derived.empty()) return;
  p.print("\ncaching and derived data: per call (ns-level calls timed in batches; every variant interleaved); "
          "Redis {}\n", p.run.environment.redis_version.empty() ? "not used" : p.run.environment.redis_version);
  p.print("  {:<26} {:<11} {:<5} {:>5} {:>10} {:>10} {:>9} {:>12}\n", "path", "variant", "mode", "n", "median", "p95",
          "db trips", "redis trips");
  series.insert(series.end(), derived.begin(), derived.end());
  for (const auto* s : series) {
    const auto lat = summary(*s, Metric::latency);
    auto trips = [&](Metric m) {
      const auto v = s->value(m);
      return v ? fmt::format("{:.2f}", *v) : std::string("-");
    };
    p.print("  {:<26} {:<11} {:<5} {:>5} {:>10} {:>10} {:>9} {:>12}\n", s->path, s->implementation, s->mode, lat.n,
            results::duration(lat.median), results::duration(lat.p95), trips(Metric::db_round_trips), trips(Metric::redis_round_trips));
  }
  p.print("\n  latency against the database on every call (naive), times better (95% interval):\n");
  for (const auto* s : series)
    if (s->implementation != "naive")
      if (const auto* d = p.delta(*s, Metric::latency))
        p.print("  {:<26} {:<11} {:<5} {}\n", s->path, s->implementation, s->mode, results::delta_text(*d));
  // Which cache: from this run's hits.
  const Series *in_process = nullptr, *redis = nullptr;
  for (const auto* s : series)
    if (s->path == "get_template_by_id" && s->mode == "hit") (s->implementation == "redis" ? redis : in_process) = s;
  if (in_process != nullptr && redis != nullptr) {
    const double h = summary(*in_process, Metric::latency).median, r = summary(*redis, Metric::latency).median;
    p.print("\n");
    p.wrapped(fmt::format("which cache: {} — a hit costs {} in-process and {} from Redis (a loopback round trip). Redis "
                          "earns its place when several processes must share entries and invalidations{}.",
                          h <= r ? "in-process" : "Redis", results::duration(h), results::duration(r), h <= r ? ", not by speed" : ""));
  }
}

void print_saves(const Printer& p) {
  auto series = p.family(results::family::file_save);
  const auto ceiling = p.family(results::family::ceiling);
  if (series.empty()) return;
  series.insert(series.end(), ceiling.begin(), ceiling.end());
  std::set<std::string> paths;
  for (const auto* s : series) paths.insert(s->path);
  for (const auto& path : paths) {
    std::vector<const Series*> mine;
    for (const auto* s : series)
      if (s->path == path) mine.push_back(s);
    std::stable_sort(mine.begin(), mine.end(), [](const Series* a, const Series* b) {
      return a->parameter("concurrency") < b->parameter("concurrency");
    });
    const auto* first = mine.front();
    const bool recorded = first->parameter("recorded").value_or(1) != 0;
    p.print("\nfile saves on one event loop: {} of {} bytes, {};\n", path, first->parameter("bytes").value_or(0),
            recorded ? "then its path recorded on the certificate row" : "not recorded on the certificate row (--no-record)");
    p.print("  {}; write-only: the disk's ceiling (the atomic write alone on as many threads)\n",
            first->parameter("fsync").value_or(0) ? "fsync" : "no fsync");
    print_load_table(p, mine, "saves");
    double top = 0;
    for (const auto* s : mine) top = std::max(top, s->parameter("concurrency").value_or(0));
    p.print("\n  at {:.0f} concurrent, throughput against naive, times better (95% interval over repetitions):\n", top);
    for (const auto* s : mine)
      if (s->implementation != "naive" && s->parameter("concurrency") == top)
        if (const auto* d = p.delta(*s, Metric::throughput))
          p.print("    {:<10} {}\n", s->implementation, results::delta_text(*d));
    // The share of the disk's ceiling measured beside it (the file-save goal's figure; its interval
    // is in the goals table).
    const Series* roof = nullptr;
    for (const auto* s : mine)
      if (s->family == results::family::ceiling && s->parameter("concurrency") == top) roof = s;
    const double roof_rate = roof != nullptr ? roof->value(Metric::throughput).value_or(0) : 0;
    if (roof_rate > 0) {
      p.print("  at {:.0f} concurrent, share of the disk's write-only ceiling ({:.0f} saves/s over this run's windows):\n",
              top, roof_rate);
      for (const auto* s : mine) {
        if (s == roof || s->parameter("concurrency") != top) continue;
        std::string judged;  // the goal's own figure, where a goal compares this series with the ceiling
        for (const auto& d : p.run.deltas)
          if (d.metric == Metric::throughput && d.other_key == s->key() && d.baseline_key == roof->key())
            judged = fmt::format("   per repetition, with its 95% interval: {}{}",
                                 results::interval_text(d.factor, [](double f) { return results::percent(f, 0); }),
                                 recorded ? ": the goal's figure" : ": the save alone (the goal judges the request)");
        p.print("    {:<10} {:.0f}%{}\n", s->implementation, 100 * s->value(Metric::throughput).value_or(0) / roof_rate,
                judged);
      }
    }
  }
}

// The index scenario: each listing under none, review and best; each index's verdict; the inserts.
void print_indexes(const Printer& p) {
  const auto listings = p.family(results::family::indexes);
  if (listings.empty() && p.run.index_verdicts.empty()) return;
  const auto* first = listings.empty() ? nullptr : listings.front();
  p.print("\nindex sets side by side, each on a copy of the dataset{}, in interleaved rounds; per call, median latency\n"
          "  and shared buffers\n",
          first ? " at scale " + results::thousands(static_cast<std::uint64_t>(first->parameter("scale").value_or(0))) : "");
  p.print("  {:<31} {:<9} {:>8} {:>7} {:>8} {:>7} {:>8} {:>7}  {}\n", "path", "impl", "none", "buffers", "review",
          "buffers", "best", "buffers", "best vs review, latency");
  for (const auto* s : listings) {
    if (s->mode != "none") continue;
    std::string row = fmt::format("  {:<31} {:<9}", s->path, s->implementation);
    const Series* review = nullptr;
    const Series* best = nullptr;
    for (std::string_view set : {"none", "review", "best"}) {
      const auto* x = results::under_set(p.run, *s, set);
      (set == "review" ? review : set == "best" ? best : x) = x;
      if (x == nullptr) {
        row += fmt::format(" {:>8} {:>7}", "-", "-");
        continue;
      }
      const auto b = x->value(Metric::shared_buffers);
      row += fmt::format(" {:>8} {:>7}", results::duration(summary(*x, Metric::latency).median),
                         b ? results::whole(*b) : std::string("n/a"));
    }
    const auto* d = review && best ? results::find_delta(p.run, *review, *best, Metric::latency) : nullptr;
    p.print("{}  {}\n", row, d ? results::delta_text(*d) : "n/a");
  }
  const auto writes = p.family(results::family::index_writes);
  if (!writes.empty()) {
    p.print("\n  inserts (a batch of rows per table, rolled back), rows per second, median; against none (95% interval)\n");
    for (const auto* w : writes) {
      if (w->mode == "none") continue;
      const auto* none = results::under_set(p.run, *w, "none");
      const auto* d = none ? results::find_delta(p.run, *none, *w, Metric::insert_rate) : nullptr;
      p.print("  {:<32} {:<7} {:>10.0f}  {}\n", w->path, w->mode, summary(*w, Metric::insert_rate).median,
              d ? results::delta_text(*d) : "n/a");
    }
  }
  if (!p.run.index_verdicts.empty()) {
    p.print("\n  each index: size, build time, scans during the listings, verdict (docs/indexes.md)\n");
    for (const auto& v : p.run.index_verdicts) {
      const Series* s = nullptr;
      for (const auto* x : p.family(results::family::index))
        if (x->path == v.table && x->implementation == v.index && x->mode == v.set) s = x;
      p.print("  {:<6} {:<46} {:>9} {:>10} {:>7.0f}  {}{}\n", v.set, v.index,
              s ? results::human_bytes(s->value(Metric::index_size_bytes).value_or(0)) : "",
              s ? results::duration(s->value(Metric::index_build_seconds).value_or(0)) : "", v.scans, v.outcome,
              v.adds ? " (best adds it)" : "");
      p.wrapped(v.reason, "         ");
    }
  }
}

}  // namespace

void print_run(const Run& run, std::FILE* out, const PrintOptions& options) {
  const Printer p{run, out};
  const auto& e = run.environment;
  p.print("certbench {} run{}\n\n", e.certbench_version,
          e.git_commit.empty() ? ""
                               : " at " + e.git_commit.substr(0, 12) +
                                     (e.git_dirty ? " with uncommitted changes (no commit holds this code)" : ""));
  p.print("dataset  scale {}, seed {}, indexes {} ({})\n", results::thousands(e.dataset_scale), e.dataset_seed, e.dataset_indexes,
          e.dataset_fingerprint);
  p.print("server   PostgreSQL {}; {} ({} cores), {}\n", e.postgres_version, e.cpu_model, e.cores, e.kernel);
  if (!run.complete) p.print("\nINCOMPLETE RUN: {}\n", run.failure.empty() ? "stopped early" : run.failure);
  if (options.tables) {
    print_listings(p);
    print_compare(p);
    print_listing_loop(p);
    print_fix_advice(p);
    print_caching(p);
    print_anatomy(p);
    print_saves(p);
    terminal::print_http(p);
    print_growth(p);
    print_depth(p);
    print_indexes(p);
  } else {
    terminal::print_summary(p);
    print_compare(p);
    terminal::print_scale_summary(p);
  }
  if (!options.verdicts) return;
  print_verdicts(run, out, options.tables ? VerdictDetail::each_subject : VerdictDetail::each_claim);
  terminal::print_headline(p);
}

}  // namespace certbench::reports
