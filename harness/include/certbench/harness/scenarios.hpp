#pragma once
// The scenarios of `certbench run`, each returning results Series, and the run that strings the
// chosen ones together into one results::Run. What each scenario measures lives in its own header
// (listing_run, listing_loop, caching_run, save_run); this turns their figures into the results
// model, the one shape every sink reads.
//
// Thread safety: measure_run runs on the calling thread; snapshot() may be called from another
// thread (the shutdown thread, to write what was measured before a signal).
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/errors.hpp"
#include "certbench/fixtures/dataset.hpp"
#include "certbench/harness/caching_run.hpp"
#include "certbench/harness/compare_run.hpp"
#include "certbench/harness/index_run.hpp"
#include "certbench/harness/listing_loop.hpp"
#include "certbench/harness/listing_run.hpp"
#include "certbench/harness/save_run.hpp"
#include "certbench/results/run.hpp"

namespace certbench::harness {

/// The figures of each scenario as Series (`scale`: the dataset's, a parameter of every series).
/// `family`: results::family::listing, or listing_depth for measure_page_depth's figures.
std::vector<results::Series> to_series(const std::vector<ListingMeasurement>& m, std::int64_t page_size,
                                       std::uint64_t scale, std::string_view family);
std::vector<results::Series> to_series(const std::vector<ListingLoopPoint>& points, const ListingLoopSpec& spec,
                                       std::uint64_t scale);
/// A caching measurement with a failure (Redis failed under it) has no series.
std::vector<results::Series> to_series(const std::vector<CachingMeasurement>& m, std::uint64_t scale);
std::vector<results::Series> to_series(const std::vector<SavePoint>& points, const SaveRunSpec& spec,
                                       std::uint64_t scale);
/// Two series per compared pair, family compare: mode "base" then "head".
std::vector<results::Series> to_series(const CompareResult& result, const PageRequest& page, std::uint64_t scale);
/// The index scenario's figures: per set, family indexes (each listing per implementation, mode the
/// set), family index (each index: path its table, implementation its name, mode the set;
/// parameter in_review for best's: 1 when the review recommends the same definition) and family
/// index_writes (inserts per certificate table, implementation "insert").
std::vector<results::Series> to_series(const std::vector<IndexSetResult>& sets, const IndexRunSpec& spec,
                                       std::uint64_t scale);
/// Which listing implementation scanned which of the set's indexes (its keys left out).
std::vector<results::IndexUse> index_use_of(const IndexSetResult& set);
/// The builds of a comparison as the environment records them.
std::vector<results::Build> builds_of(const CompareResult& result);

/// A dataset of another scale on the same server (the scale sweep).
struct ScalePoint {
  std::uint64_t scale = 0;
  std::string schema;
};
/// The sweep's dataset of `scale` beside the run's own in `schema` (of `run_scale`): the run's own
/// schema at its scale, "<schema>_s<scale>" at the others.
ScalePoint sweep_point(std::string_view schema, std::uint64_t run_scale, std::uint64_t scale);

/// A scenario measured by a layer above the harness and handed in by the caller: the API over HTTP
/// (loadgen/http_run.hpp) needs `certbench serve`, which builds on the harness's registry.
struct OuterScenario {
  std::string name;  ///< for the progress line
  /// Planned, for the estimate of time left; given the calls' seconds where they are known.
  std::function<double(const CallSeconds&)> seconds;
  struct Result {
    std::vector<results::Series> series;
    std::string wrong;  ///< a check the answers failed ("" = none): the run fails (exit 3), figures kept
  };
  std::function<Result(const std::function<void(std::string_view)>& tell)> measure;
};

/// The scenarios a run measures (in this order) and the spec of each.
struct RunPlan {
  std::uint64_t scale = 0;
  bool listing = true, loop = true, caching = true, derived = true, saves = true;
  bool compare = false;  ///< two builds' listings, base against head (needs compare_spec.base_binary)
  /// The index sets judged (index_spec.listing.schema: a copy seeded with index set none by the caller).
  bool indexes = false;
  /// How cost grows: the listings again on each of these datasets (seeded by the caller), and the
  /// limited listings' deep pages on the largest; empty = no sweep.
  std::vector<ScalePoint> sweep;
  std::vector<std::int64_t> depth_pages{1, 100, 1000};
  ListingRunSpec listing_spec;
  ListingLoopSpec loop_spec;
  CachingRunSpec caching_spec;  ///< reference/derived are set from the flags above
  SaveRunSpec save_spec;
  CompareRunSpec compare_spec;
  IndexRunSpec index_spec;
  std::optional<OuterScenario> http;  ///< after the file saves
  /// A database or Redis that stops answering without closing its connections (a frozen host)
  /// blocks a call for good: no timeout of libpq's or of the server's fires. When nothing moves for
  /// this long — no point begun, no listing call returned — measure() fails the run and calls its
  /// `on_stall`. 0: not watched.
  std::chrono::seconds stall_limit{0};

  /// The scenarios in the order measure() runs them.
  enum class Stage { listing, compare, loop, caching, saves, http, sweep, indexes, plans };
  static constexpr std::size_t kStages = 9;
  /// Seconds each stage should take (0: not in the plan), for the estimate of time left: from the
  /// specs' budgets, and the windows' ends from `calls` where they are known.
  [[nodiscard]] std::array<double, kStages> planned_seconds(const CallSeconds& calls = {}) const;
  /// All of them.
  [[nodiscard]] double estimated_seconds() const;

  /// A dataset the plan measures besides the run's own, which the caller seeds (or reuses)
  /// before measure(): `spec` in `schema`.
  struct Dataset {
    fixtures::DatasetSpec spec;
    std::string schema;
  };
  /// The sweep's datasets at the other scales, and the index scenario's copies (index set none:
  /// the scenario builds each set itself, timed) — each `run_dataset` but for its scale or
  /// indexes. The run's own schema is never among them.
  [[nodiscard]] std::vector<Dataset> datasets(const fixtures::DatasetSpec& run_dataset,
                                              std::string_view run_schema) const;
};

/// `certbench run --quick` (CI: a minute on 2 cores after build and seed): a small dataset,
/// shorter budgets and windows, the listings on one event loop at 8 concurrent, file saves at 1
/// and 64.
inline constexpr std::uint64_t kQuickScale = 10'000;
void make_quick(RunPlan& plan);

/// What a run is doing, for a progress line.
struct RunProgress {
  std::string_view scenario;  ///< "listings", "listings on one event loop", "caching", …
  std::string_view detail;    ///< the point under way
  /// The estimate: what is planned for the scenario under way and not yet spent (none once it
  /// overran), and the scenarios after it — re-planned from the listings' own call times.
  double seconds_left = 0;
};

/// Measures the plan's scenarios into `run` (series appended as each scenario ends; deltas and
/// verdicts by results::analyse at the end). A scenario that fails with a certbench Error (the
/// database or Redis died, …) stops the run: `run.complete` stays false, `run.failure` says why and
/// the error's exit code is returned; ExitCode::ok otherwise.
class RunCollector {
 public:
  explicit RunCollector(results::Run run) : run_(std::move(run)) {}
  /// `on_stall` runs on a watchdog's thread once the run is marked failed with the stall's reason,
  /// while the stuck call still blocks this one: typically it ends the process (sys::shut_down).
  ExitCode measure(const RunPlan& plan, const std::function<void(const RunProgress&)>& progress = {},
                   const std::function<void()>& on_stall = {});
  /// A copy of the run so far (thread-safe).
  [[nodiscard]] results::Run snapshot() const;
  /// The scenario and point under way, "" before and after (thread-safe).
  [[nodiscard]] std::string progress() const;

 private:
  /// Marks the run failed with `reason` unless it already failed (thread-safe): the watchdog's,
  /// while measure() is blocked.
  void fail(std::string reason);
  void add(std::vector<results::Series> series);
  mutable std::mutex mutex_;
  results::Run run_;
  std::string progress_;
};

}  // namespace certbench::harness
