#pragma once
// The results model: what one certbench run measured, as plain data. Every scenario returns
// Series; the terminal table, results.json, benchmarks.json, the report, the Prometheus exporter
// and the gate read only this. Nothing here measures, prints or knows a sink.
//
//   Run ── environment (where and what: versions, machine, dataset, options)
//       ├─ series[]   (one per family/path/implementation/mode/parameters: raw samples, counters)
//       ├─ deltas[]   (baseline vs other implementation per metric, with a 95% interval)
//       ├─ verdicts[] (the review's claims and certbench's goals, judged on the deltas)
//       ├─ fits[]     (how cost grows with the dataset, where several scales were measured)
//       └─ plans[]    (the statements each implementation ran, as PostgreSQL executed them)
//
// Deltas and verdicts are derived by results::analyse() (analysis.hpp) from the series; they are
// stored so that every sink reads the same figures.
//
// Thread safety: plain values; a Run is not shared between threads while it is written.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/results/metrics.hpp"

namespace certbench::results {

/// The version of results.json's layout (reports/schema/results.schema.json); bumped on any
/// change a reader of an older version would misread.
inline constexpr int kSchemaVersion = 2;

/// A parameter's value as text: integers without a decimal point or exponent (1000000, not
/// 1e+06), others in the shortest form that reads back exactly.
std::string number_text(double v);

/// Path families: how a path was exercised.
namespace family {
inline constexpr std::string_view listing = "listing";            ///< one call at a time, interleaved
inline constexpr std::string_view listing_loop = "listing_loop";  ///< requests on one event loop
inline constexpr std::string_view listing_depth = "listing_depth";  ///< deep pages, by offset and by keyset
inline constexpr std::string_view caching = "caching";            ///< templates and spas, per variant
inline constexpr std::string_view derived = "derived";            ///< prepare_certificate_data
inline constexpr std::string_view file_save = "file_save";        ///< saves on one event loop
inline constexpr std::string_view ceiling = "ceiling";            ///< the disk's write-only ceiling
inline constexpr std::string_view benchmark = "benchmark";        ///< a Google Benchmark program's run
inline constexpr std::string_view overhead = "overhead";          ///< the harness against a bare loop
/// Two builds' listing functions in interleaved rounds (run --compare-binary): mode "base" (the old
/// build) and "head" (this one), judged head/base by the gate.
inline constexpr std::string_view compare = "compare";
/// The index scenario (docs/indexes.md), each index set on a copy of the dataset — mode: the set
/// ("none", "review", "best"). `indexes`: a listing per implementation under that set;
/// `index`: one index of the set (path: its table, implementation: its name);
/// `index_writes`: inserts into one certificate table under that set (path: the table,
/// implementation "insert").
inline constexpr std::string_view indexes = "indexes";
inline constexpr std::string_view index = "index";
inline constexpr std::string_view index_writes = "index_writes";
/// The API over HTTP (`certbench serve`, loadgen/): path the listing an endpoint serves, mode the
/// load — "closed_loop" (wrk: each connection waits for its answer) or "open_loop" (requests on
/// a fixed schedule).
inline constexpr std::string_view http = "http";
}  // namespace family

/// A latency histogram as Prometheus keeps one: cumulative counts at fixed upper bounds, so that
/// histogram_quantile over many runs' buckets is right (percentiles cannot be averaged). Values
/// beyond the last bound — and observations with no value, such as requests never answered —
/// are only in `count`, Prometheus's +Inf bucket.
struct Buckets {
  std::vector<double> upper_bounds;       ///< seconds, ascending, finite
  std::vector<std::uint64_t> cumulative;  ///< observations at or below each bound
  std::uint64_t count = 0;                ///< every observation (+Inf)
  double sum = 0;                         ///< of the observations that have a value
  friend bool operator==(const Buckets&, const Buckets&) = default;
};

struct Series {
  std::string family;          ///< one of results::family
  std::string path;            ///< the review's function name, e.g. "get_public_certificates"
  std::string implementation;  ///< "naive", "review", "limited", "cached", "in_process", "io_uring", …
  std::string mode;            ///< "hit", "miss", or ""
  /// Numeric parameters: scale, page, size, concurrency, sessions, image_bytes, …
  std::map<std::string, double> parameters;
  /// Raw samples per metric, in the metric's base unit and in the order they were taken (latency:
  /// one per call, or one per batch where `batch` calls shared a clock reading).
  std::map<Metric, std::vector<double>> samples;
  /// Per-call or per-window figures that have no samples (round trips per call, …).
  std::map<Metric, double> values;
  /// The response time's histogram, where a load generator kept one (family http, open_loop).
  std::optional<Buckets> latency_buckets;

  /// "family/path/implementation[/mode][/name=value…]": unique within a run, stable across runs.
  [[nodiscard]] std::string key() const;
  /// The key without the scale: the series of one curve across dataset sizes share it.
  [[nodiscard]] std::string curve() const;
  [[nodiscard]] std::optional<double> parameter(const std::string& name) const;
  [[nodiscard]] std::optional<double> value(Metric metric) const;
  [[nodiscard]] const std::vector<double>* samples_of(Metric metric) const;

  friend bool operator==(const Series&, const Series&) = default;
};

/// A 95% interval around an estimate.
struct Interval {
  double estimate = 0;
  double low = 0;
  double high = 0;
  friend bool operator==(const Interval&, const Interval&) = default;
};

/// How a delta's interval was made (docs/results.md says why each).
namespace method {
inline constexpr std::string_view paired_bootstrap = "paired_bootstrap";  ///< interleaved rounds resampled together
inline constexpr std::string_view bootstrap = "bootstrap";                ///< each side resampled on its own
inline constexpr std::string_view exact = "exact";                        ///< counts: no sampling error
/// Fewer than results::kBootstrapMinSamples a side (statistics.hpp, rank_ratio_interval): the
/// sign test's interval of paired rounds, Mann–Whitney's of independent samples — 95% or more.
inline constexpr std::string_view sign_test = "sign_test";
inline constexpr std::string_view rank_sum = "rank_sum";
/// Too few samples for any 95% interval: the whole range of the ratios, no verdict drawn on it.
inline constexpr std::string_view range = "range";
}  // namespace method

/// Baseline vs another implementation of the same path and parameters, on one metric. `factor`
/// is how many times better `other` is: baseline/other for lower-is-better metrics (latency, heap,
/// round trips), other/baseline for higher-is-better ones (throughput); > 1 means better.
struct Delta {
  std::string baseline_key;  ///< Series::key() of the baseline (naive)
  std::string other_key;
  Metric metric = Metric::latency;
  Interval factor;
  std::string method;
  std::uint64_t baseline_n = 0, other_n = 0;  ///< samples behind each side (1 for values)
  friend bool operator==(const Delta&, const Delta&) = default;
};

/// below / within / beyond a claimed range, or inconclusive when the interval straddles a bound.
/// Goals (a floor or a ceiling) use met / not_met / inconclusive.
enum class Outcome { below, within, beyond, inconclusive, met, not_met, not_measured };
std::string_view to_string(Outcome outcome) noexcept;
std::optional<Outcome> parse_outcome(std::string_view text) noexcept;

/// One claim or goal judged on one subject (a path at a scale and its parameters).
struct Verdict {
  std::string id;        ///< the claims table's id, e.g. "query_time"
  std::string kind;      ///< "claim" (the review's) or "goal" (certbench's)
  std::string text;      ///< the claim in the review's words
  std::string subject;   ///< what was judged, e.g. "get_public_certificates at scale 100000"
  std::string expected;  ///< the claimed range, in words ("60-80% reduction")
  Outcome outcome = Outcome::not_measured;
  std::optional<Interval> measured;  ///< on the table entry's scale (e.g. a reduction in %)
  std::string unit;                  ///< of `measured`: "percent", "factor" or the metric's unit
  /// Samples behind the measured figure (the smaller side of a ratio); 0 for exact counts. A figure
  /// from fewer than 2 samples is judged inconclusive, whatever it is.
  std::uint64_t n = 0;
  std::string series_key;            ///< the series (or the delta's other side) it was judged on
  friend bool operator==(const Verdict&, const Verdict&) = default;
};

/// How a cost grows with the dataset: the exponent k of cost ~ scale^k, fitted by least squares on
/// log(median) against log(scale) over the scales a path was measured at (k = 1: linear, 0: flat).
struct GrowthFit {
  std::string curve;           ///< Series::curve() of the series fitted (mode and parameters included)
  std::string family;
  std::string path;
  std::string implementation;
  Metric metric = Metric::latency;
  Interval exponent;            ///< with a 95% bootstrap interval (each scale's samples resampled)
  std::vector<double> scales;   ///< the scales fitted over, ascending
  friend bool operator==(const GrowthFit&, const GrowthFit&) = default;
};

/// A statement an implementation ran in one call of a path, and what PostgreSQL did with it:
/// EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON), run once after the measurement with the parameters of
/// that call. The "why" behind the figures, and the plan shape a gate can compare without a clock.
struct Plan {
  std::string family;          ///< the family of the series it explains ("listing")
  std::string path;
  std::string implementation;
  std::string mode;            ///< the index set under the index scenario (family indexes); "" otherwise
  std::map<std::string, double> parameters;  ///< scale, page, size
  std::string statement;       ///< the SQL text
  std::uint64_t executions = 0;  ///< times one call ran it (an N+1 shows here: 20 per call)
  std::vector<std::string> nodes;    ///< node types, depth first: "Limit", "Merge Append", "Index Scan", …
  std::vector<std::string> indexes;  ///< indexes read, in node order
  std::vector<std::string> sequential_scans;  ///< relations read by a sequential scan
  double rows = 0;             ///< rows the top node returned
  double shared_hit = 0;       ///< shared buffers found in PostgreSQL's cache
  double shared_read = 0;      ///< shared buffers read from the OS
  double planning_ms = 0, execution_ms = 0;
  friend bool operator==(const Plan&, const Plan&) = default;
};

/// The index scenario's idx_scan of one index of a set during one listing implementation's counted
/// calls (pg_stat_user_indexes, flushed before and after): which listing scanned which index.
struct IndexUse {
  std::string set;             ///< "review" or "best"
  std::string path;            ///< the listing
  std::string implementation;
  std::string index;
  double scans = 0;            ///< > 0 (an index a listing did not scan has no entry)
  friend bool operator==(const IndexUse&, const IndexUse&) = default;
};

/// What the index scenario found for one index of a set, judged from the run's own figures by
/// results::analyse (docs/indexes.md):
///  - unused:  no listing scanned it (idx_scan did not move during the listings' counted calls),
///             and inserts into its table were not measurably slower with the set than with none;
///  - harmful: no listing scanned it, but inserts into its table were measurably slower with the
///             set (the insert rate's 95% interval against none wholly below 1); or a listing that
///             scanned it (IndexUse) was measurably slower than with none (latency interval wholly
///             below 1) and touched no fewer shared buffers;
///  - used:    a listing scanned it, and none that scanned it got worse as above.
struct IndexVerdict {
  std::string set;      ///< "review" or "best"
  std::string table;
  std::string index;
  std::string outcome;  ///< "used", "unused" or "harmful"
  double scans = 0;     ///< idx_scan during the listings' counted calls
  std::vector<std::string> read_by;  ///< "path/implementation" that scanned it (IndexUse), in run order
  bool adds = false;    ///< of `best` and not recommended by the review (no review index on its table has its definition)
  std::string reason;   ///< one line, with the figures it rests on
  friend bool operator==(const IndexVerdict&, const IndexVerdict&) = default;
};
inline constexpr std::string_view kIndexUsed = "used";
inline constexpr std::string_view kIndexUnused = "unused";
inline constexpr std::string_view kIndexHarmful = "harmful";

/// A build measured by a run (run --compare-binary: the base and the head).
struct Build {
  std::string role;     ///< "base" (the old build) or "head" (the one that ran the run)
  std::string binary;   ///< its path
  std::string version;  ///< what it says it is: `certbench --version`'s text, and its commit when known
  friend bool operator==(const Build&, const Build&) = default;
};

struct Environment {
  std::string certbench_version;
  std::string git_commit;          ///< "" when built outside a git checkout
  bool git_dirty = false;          ///< built from a work tree whose tracked files differed from git_commit
  std::string postgres_version;    ///< server_version, e.g. "15.18 (Debian 15.18-0+deb12u1)"
  std::map<std::string, std::string> postgres_settings;  ///< the settings that matter to the figures
  std::string redis_version;       ///< "" when no Redis was used
  std::string cpu_model;
  unsigned cores = 0;
  std::string kernel;
  std::string host;
  std::uint64_t dataset_scale = 0;
  std::uint64_t dataset_seed = 0;
  std::string dataset_indexes;     ///< "none", "review" or "best"
  std::string dataset_fingerprint; ///< scale/seed/indexes/version, as the seeder's marker has it
  std::string started_utc;         ///< ISO 8601, e.g. "2026-11-30T09:26:00Z"
  std::string ended_utc;
  std::vector<std::string> options;  ///< the command line as given
  std::vector<Build> builds;         ///< the builds compared (run --compare-binary); empty otherwise
  friend bool operator==(const Environment&, const Environment&) = default;
};

struct Run {
  int schema_version = kSchemaVersion;
  Environment environment;
  bool complete = false;  ///< every planned scenario finished
  std::string failure;    ///< why not, when not complete
  std::vector<Series> series;
  std::vector<Delta> deltas;
  std::vector<Verdict> verdicts;
  std::vector<GrowthFit> fits;
  std::vector<Plan> plans;
  std::vector<IndexUse> index_use;           ///< the index scenario's scans per listing; empty without it
  std::vector<IndexVerdict> index_verdicts;  ///< the index scenario's judgement (analyse), empty without it

  [[nodiscard]] const Series* find(const std::string& key) const;
  /// The series of `family`, in run order.
  [[nodiscard]] std::vector<const Series*> of_family(std::string_view family) const;
  /// `other` against its path's naive series on `metric`; nullptr when there is no such delta.
  [[nodiscard]] const Delta* against_naive(const Series& other, Metric metric) const;
  friend bool operator==(const Run&, const Run&) = default;
};

}  // namespace certbench::results
