#include "certbench/reports/markdown.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <type_traits>

#include "certbench/core/errors.hpp"
#include "certbench/reports/format.hpp"
#include "certbench/results/advice.hpp"
#include "certbench/results/analysis.hpp"
#include "certbench/results/statistics.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "charts.hpp"
#include "sections.hpp"

namespace certbench::reports {
namespace {

namespace fs = std::filesystem;
using results::Delta;
using results::Metric;
using results::Run;
using results::Series;

std::string cell(std::string text) {
  for (std::size_t at = 0; (at = text.find('|', at)) != std::string::npos; at += 2) text.replace(at, 1, "\\|");
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

// The distinct paths of `items` (series, fits, plans, or pointers to them), in first-seen order.
template <typename Items>
std::vector<std::string> paths_of(const Items& items) {
  std::vector<std::string> paths;
  for (const auto& item : items) {
    const std::string& path = [&]() -> const std::string& {
      if constexpr (std::is_pointer_v<std::decay_t<decltype(item)>>) return item->path;
      else return item.path;
    }();
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  }
  return paths;
}

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

std::string shell_quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,@%+") ==
                          std::string::npos)
    return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Writer {
  const Run& run;
  const std::vector<std::string>& charts;
  std::string out;

  template <typename... Args>
  void line(fmt::format_string<Args...> f, Args&&... args) {
    out += fmt::format(f, std::forward<Args>(args)...);
    out += '\n';
  }

  void chart(const std::string& name, const std::string& alt) {
    if (std::find(charts.begin(), charts.end(), name) == charts.end()) return;
    line("![{}](charts/{}.svg)", alt, name);
    line("");
  }

  [[nodiscard]] std::vector<const Series*> family(std::string_view f) const { return run.of_family(f); }
  [[nodiscard]] const Delta* delta(const Series& other, Metric m) const { return run.against_naive(other, m); }

  static results::Summary summary(const Series& s, Metric m) {
    const auto* v = s.samples_of(m);
    return v == nullptr ? results::Summary{} : results::summarize(*v);
  }

  void header() {
    const auto& e = run.environment;
    line("# certbench run, {}", e.started_utc);
    line("");
    if (!run.complete)
      line("> **Incomplete run** — {}. What was measured before is below; the rest is missing.\n",
           run.failure.empty() ? "it stopped early" : cell(run.failure));
    line("certbench {}{} · PostgreSQL {} · {} certificates (seed {}, indexes {}) · {} cores, {}", e.certbench_version,
         e.git_commit.empty() ? ""
                              : " at `" + e.git_commit.substr(0, 12) + "`" +
                                    (e.git_dirty ? " **with uncommitted changes** (no commit holds this code)" : ""),
         e.postgres_version,
         thousands(e.dataset_scale), e.dataset_seed, e.dataset_indexes, e.cores, e.cpu_model);
    line("");
  }

  void verdict_table(std::string_view kind) {
    line("| {} | subject | expected | measured (95% interval) | verdict |", kind == "claim" ? "the review's claim" : "certbench's goal");
    line("|---|---|---|---|---|");
    std::set<std::string> unmeasured;
    for (const auto& v : run.verdicts) {
      if (v.kind != kind) continue;
      if (v.outcome == results::Outcome::not_measured) {
        unmeasured.insert(v.text);
        continue;
      }
      line("| {} | {} | {} | {} | {} |", cell(v.text), cell(v.subject), cell(v.expected), verdict_figure(v),
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

  void headline() {
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
        line("{}. **{}** {} — {}, {}{} ({}; 95% interval {} to {})", i + 1, factor(d->factor.estimate),
             d->metric == Metric::latency ? "faster than naive" : "naive's throughput", s->path, s->implementation,
             s->mode.empty() ? "" : " " + s->mode, s->family, factor(d->factor.low), factor(d->factor.high));
      }
      line("");
    }
    line("### certbench's own goals");
    line("");
    verdict_table("goal");
  }

  void listings() {
    std::vector<const Series*> series;
    for (const auto* s : family(results::family::listing))
      if (s->parameter("scale") == static_cast<double>(run.environment.dataset_scale)) series.push_back(s);
    if (series.empty()) return;
    line("## Listings");
    line("");
    line("Page 1 of {:.0f} rows, every implementation called in interleaved rounds (naive, review, optimized, …), "
         "so that drift hits them alike; intervals pair the rounds. *review* is the review's fix taken literally, "
         "*optimized* the best measured (one statement), *pipelined* and *parallel* the review's other fix — one "
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
      auto count = [&](Metric m, bool bytes) {
        const auto v = s->value(m);
        if (!v) return std::string("—");
        return bytes ? human_bytes(*v) : fmt::format("{:.0f}", *v);
      };
      const auto server_time = s->value(Metric::server_execution);
      line("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |", s->path,
           s->implementation, lat.n, duration(lat.median), duration(lat.p95), duration(lat.p99),
           s->value(Metric::statements) ? count(Metric::statements, false) : count(Metric::round_trips, false),
           count(Metric::round_trips, false),
           count(Metric::rows_received, false), count(Metric::bytes_received, true),
           heap.n ? human_bytes(heap.max) : "n/a",
           allocs.n ? thousands(static_cast<std::uint64_t>(allocs.median)) : "n/a",
           allocated.n ? human_bytes(allocated.median) : "n/a", count(Metric::server_statements, false),
           count(Metric::shared_buffers, false), server_time ? duration(*server_time) : "—", dl ? delta_text(*dl) : "—",
           dh ? delta_text(*dh) : "—");
    }
    line("");
  }

  // run --compare-binary: the old build (base) and this one (head), the ratio the gate judges.
  void compare() {
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
           head->value(Metric::batch).value_or(1), duration(results::percentile(*bs, 0.5)),
           duration(results::percentile(*hs, 0.5)), ratio_text(r.factor, r.method));
    }
    line("");
  }

  void loop() {
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
           s->parameter("concurrency").value_or(0), s->value(Metric::throughput).value_or(0), duration(lat.median),
           duration(lat.p99), lag.n ? duration(lag.median) : "—", pool_cells(*s), d ? delta_text(*d) : "—");
    }
    line("");
  }

  // The review's two fixes for the N+1, and which to take: results::advise_listing_fix on this run.
  void fix_advice() {
    const auto advice = results::advise_listing_fix(run);
    if (advice.empty()) return;
    line("## Which fix for the N+1");
    line("");
    line("The review offers two fixes for the per-kind queries: one statement (UNION ALL — *optimized*, each branch "
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
    auto num = [](const std::optional<double>& v) { return v ? fmt::format("{:.0f}", *v) : std::string("—"); };
    auto fac = [](const std::optional<results::Interval>& f) {
      return f ? fmt::format("{} ({} to {})", factor(f->estimate), factor(f->low), factor(f->high)) : std::string("—");
    };
    for (const auto& a : advice)
      for (const auto& o : a.options)
        line("| {} | {}{} | {} | {} | {} | {} | {} | {} | {} |", a.path, o.implementation,
             o.implementation == a.chosen ? " **(advised)**" : "", num(o.statements), num(o.round_trips),
             num(o.rows_received), duration(o.latency), o.implementation == "optimized" ? "—" : fac(o.latency_factor),
             o.throughput ? fmt::format("{:.0f} ({:.0f})", *o.throughput, a.concurrency) : std::string("—"),
             o.implementation == "optimized" ? "—" : fac(o.throughput_factor));
    line("");
    for (const auto& a : advice) line("- **{}**: {}.", a.path, a.reason);
    line("");
  }

  // "held/size | wait p99" of a load's session pool, or dashes.
  static std::string pool_cells(const Series& s) {
    const auto sessions = s.value(Metric::pool_sessions);
    if (!sessions) return "— | —";
    const auto wait = summary(s, Metric::pool_wait);
    return fmt::format("{:.1f} of {:.0f} | {}", s.value(Metric::pool_in_use).value_or(0), *sessions,
                       wait.n ? duration(wait.p99) : "—");
  }

  void caching() {
    auto series = family(results::family::caching);
    for (const auto* s : family(results::family::derived)) series.push_back(s);
    if (series.empty()) return;
    line("## Caching and derived data");
    line("");
    line("Templates and spas from the database on every call (naive), from an in-process cache (TTL, explicit "
         "invalidation, single flight) and from Redis ({}); hits and misses measured on caches of their own. "
         "Nanosecond calls are timed in batches.",
         run.environment.redis_version.empty() ? "not used" : "Redis " + run.environment.redis_version);
    line("");
    chart("caching_latency", "latency per variant");
    line("| path | variant | mode | n | median | p95 | hits | misses | db round trips | Redis round trips | "
         "latency vs naive |");
    line("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
    for (const auto* s : series) {
      const auto lat = summary(*s, Metric::latency);
      const auto* d = delta(*s, Metric::latency);
      auto trips = [&](Metric m) {
        const auto v = s->value(m);
        return v ? fmt::format("{:.2f}", *v) : std::string("—");
      };
      line("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |", s->path, s->implementation, s->mode, lat.n,
           duration(lat.median), duration(lat.p95), trips(Metric::cache_hits), trips(Metric::cache_misses),
           trips(Metric::db_round_trips), trips(Metric::redis_round_trips), d ? delta_text(*d) : "—");
    }
    line("");
    const Series *hit = nullptr, *redis = nullptr, *db = nullptr;
    for (const auto* s : series)
      if (s->path == "get_template_by_id") {
        if (s->implementation == "in_process" && s->mode == "hit") hit = s;
        if (s->implementation == "redis" && s->mode == "hit") redis = s;
        if (s->implementation == "naive") db = s;
      }
    if (hit != nullptr && redis != nullptr && db != nullptr) {
      const double h = summary(*hit, Metric::latency).median, r = summary(*redis, Metric::latency).median,
                   d = summary(*db, Metric::latency).median;
      line("**Which cache.** {}: a hit costs {} in-process, {} from Redis and {} from the database — a Redis hit "
           "is still a loopback round trip ({} {} than PostgreSQL's primary-key lookup here). Take Redis when "
           "several processes must share entries and one invalidation{}.",
           h <= r ? "The in-process cache" : "Redis", duration(h), duration(r), duration(d),
           factor(r < d ? d / r : r / d), r < d ? "faster" : "slower", h <= r ? ", not for speed" : "");
      line("");
    }
  }

  void saves() {
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
             s->parameter("concurrency").value_or(0), s->value(Metric::throughput).value_or(0), duration(lat.median),
             duration(lat.p99), lag.n ? duration(lag.median) : "—", pool_cells(*s), d ? delta_text(*d) : "—");
      }
      line("");
    }
  }

  void growth() {
    if (run.fits.empty()) return;
    line("## How cost grows");
    line("");
    line("The listings measured again on datasets of several sizes: cost ~ scale^k, k fitted by least squares on "
         "the log of the medians against the log of the scale (1: linear in the dataset, 0: flat), with a 95% "
         "interval from resampling each scale's calls.");
    line("");
    const auto paths = paths_of(run.fits);
    for (const auto& p : paths) chart("growth_" + p, p + " cost against dataset size");
    line("| path | implementation | metric | k (95% interval) | scales |");
    line("|---|---|---|--:|---|");
    for (const auto& f : run.fits) {
      std::string scales;
      for (double s : f.scales) scales += (scales.empty() ? "" : ", ") + thousands(static_cast<std::uint64_t>(s));
      line("| {} | {} | {} | {:.2f} ({:.2f} to {:.2f}) | {} |", f.path, f.implementation, results::name(f.metric),
           f.exponent.estimate, f.exponent.low, f.exponent.high, scales);
    }
    line("");
    const auto depth = family(results::family::listing_depth);
    if (depth.empty()) return;
    line("### Deep pages");
    line("");
    line("The optimized listings at pages 1, 100 and 1000, by OFFSET and by keyset (cursor), at {} certificates: "
         "OFFSET pages cost more the deeper they are; keyset pages should not.",
         thousands(static_cast<std::uint64_t>(depth.front()->parameter("scale").value_or(0))));
    line("");
    line("| path | by | page | median | p95 |");
    line("|---|---|--:|--:|--:|");
    for (const auto* s : depth) {
      const auto lat = summary(*s, Metric::latency);
      line("| {} | {} | {:.0f} | {} | {} |", s->path, s->parameter("keyset").value_or(0) ? "keyset" : "offset",
           s->parameter("page").value_or(0), duration(lat.median), duration(lat.p95));
    }
    line("");
  }

  // The index scenario (docs/indexes.md): the review's recommended indexes judged, and what best adds.
  void indexes() {
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
             v.table, s ? human_bytes(s->value(Metric::index_size_bytes).value_or(0)) : "",
             s ? duration(s->value(Metric::index_build_seconds).value_or(0)) : "", v.scans,
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
          return duration(summary(*x, Metric::latency).median) + " | " + (b ? fmt::format("{:.0f}", *b) : "n/a");
        };
        const auto* br = review && best ? results::find_delta(run, *review, *best, Metric::latency) : nullptr;
        const auto* rn = review ? results::find_delta(run, *s, *review, Metric::latency) : nullptr;
        line("| {} | {} | {} | {} | {} | {} | {} |", s->path, s->implementation, figures(s), figures(review),
             figures(best), br ? delta_text(*br) : "—", rn ? delta_text(*rn) : "—");
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
             summary(*w, Metric::insert_rate).median, d ? delta_text(*d) : "—");
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

  void why() {
    if (std::none_of(run.plans.begin(), run.plans.end(),
                     [](const results::Plan& p) { return p.family != results::family::indexes; }))
      return;
    line("## Why: the statements behind the listing figures");
    line("");
    line("After the measurement each implementation made one more call with its statements recorded, and each "
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
        line("| {} | {} | {} | {} | {} | {:.0f} | {:.0f} | {:.3f} ms |", p.implementation, p.executions,
             cell(fmt::format("{}", fmt::join(nodes, ", "))),
             indexes.empty() ? "—" : cell(fmt::format("{} ({})", indexes.front(), indexes.size())),
             p.sequential_scans.empty() ? "—" : cell(fmt::format("{}", fmt::join(p.sequential_scans, ", "))), p.rows,
             p.shared_hit + p.shared_read, p.execution_ms);
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

  void environment() {
    const auto& e = run.environment;
    line("## Environment and how to reproduce");
    line("");
    line("| | |");
    line("|---|---|");
    line("| certbench | {} {}{} |", e.certbench_version, e.git_commit.empty() ? "" : "`" + e.git_commit + "`",
         e.git_dirty ? " with uncommitted changes" : "");
    line("| PostgreSQL | {} |", e.postgres_version);
    for (const auto& [k, v] : e.postgres_settings) line("| `{}` | {} |", k, cell(v));
    line("| Redis | {} |", e.redis_version.empty() ? "not used" : e.redis_version);
    line("| machine | {} cores, {}; {}; host {} |", e.cores, e.cpu_model, e.kernel, e.host);
    line("| dataset | {} |", e.dataset_fingerprint);
    line("| started, ended (UTC) | {}, {} |", e.started_utc, e.ended_utc);
    line("");
    std::string command;
    for (std::size_t i = 0; i < e.options.size(); ++i)
      command += (i ? " " : "") + (i == 0 ? std::string("certbench") : shell_quote(e.options[i]));
    if (!command.empty()) {
      line("```sh");
      line("scripts/{}", command);
      line("```");
      line("");
    }
    line("Figures drift from run to run on a shared machine; compare ratios within a run, or two runs with "
         "`compare.py` on their `benchmarks.json`.");
  }
};

}  // namespace

std::string report_markdown(const Run& run, const std::vector<std::string>& chart_names) {
  Writer w{run, chart_names, {}};
  w.header();
  w.headline();
  w.listings();
  w.compare();
  w.loop();
  w.fix_advice();
  w.caching();
  w.out += detail::anatomy_section(run, chart_names);
  w.saves();
  w.out += detail::http_section(run, chart_names);
  w.growth();
  w.indexes();
  w.why();
  w.environment();
  return w.out;
}

ReportFiles write_report(const Run& run, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw EnvironmentError("cannot make " + dir.string() + ": " + ec.message());
  ReportFiles files;
  const auto charts = detail::charts_of(run);
  files.charts = detail::render(charts, dir / "charts");
  std::vector<std::string> names;
  for (const auto& c : charts) names.push_back(c.name);
  files.markdown = dir / "report.md";
  sys::write_file_atomic(files.markdown, report_markdown(run, names) + detail::profiles_section(dir));
  return files;
}

}  // namespace certbench::reports
