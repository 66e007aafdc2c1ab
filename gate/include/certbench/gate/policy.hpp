#pragma once
// The gate's policy: how far each tier-1 figure may move, which speed-ups must stay above which
// floor, and how a head/base timing comparison is judged — defaults plus overrides that match
// series by family, path, implementation, mode and parameters (docs/gate.md has the file format).
//
// - A policy file is complete in itself: `defaults` fills in what it leaves out from the built-in
//   values below; `overrides` apply in file order, later ones winning field by field.
// - parse_policy() checks the whole file before anything is judged: every error is one line naming
//   the file and the key ("policy.json: overrides[1].tolerance.peak_heap.relative: must be a number
//   >= 0 (got "x")"), thrown as InputError (exit 2).
// - default_policy() is reports/baselines/policy.json, compiled in.
//
// Thread safety: plain values; parse_policy and settings_for are pure.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::gate {

/// The version of the policy file's layout (`policy_version`); bumped on any change an older
/// reader would misread.
inline constexpr int kPolicyVersion = 1;

/// The tier-1 figures (docs/gate.md says which depend only on the dataset and the server):
/// per-call counts from the series' values, the per-call peak heap from its samples, and from the
/// run's plans the shared buffers per call and the plan shape.
namespace figure {
inline constexpr std::string_view round_trips = "round_trips";
inline constexpr std::string_view statements = "statements";
inline constexpr std::string_view rows_received = "rows_received";
inline constexpr std::string_view bytes_received = "bytes_received";
inline constexpr std::string_view db_round_trips = "db_round_trips";
inline constexpr std::string_view redis_round_trips = "redis_round_trips";
inline constexpr std::string_view peak_heap = "peak_heap";
inline constexpr std::string_view shared_buffers = "shared_buffers";
inline constexpr std::string_view server_statements = "server_statements";
inline constexpr std::string_view server_buffers = "server_buffers";
inline constexpr std::string_view cache_hits = "cache_hits";
inline constexpr std::string_view cache_misses = "cache_misses";
inline constexpr std::string_view response_bytes = "response_bytes";
inline constexpr std::string_view plan_shape = "plan_shape";
}  // namespace figure

/// A tier-1 figure: a count the gate compares without a clock. The one list of them: the policy's
/// tolerances, the checks and the schemas' names follow it.
struct Tier1Figure {
  std::string_view name;  ///< one of `figure`
  /// Where the figure comes from: a series' value of `metric`, the median of its peak-heap
  /// samples, or the shared buffers of its statements' plans (results::Run::plans).
  enum class Source { value, peak_heap, plans };
  Source source = Source::value;
  std::optional<results::Metric> metric;  ///< Source::value only
  bool bytes = false;
  bool server = false;         ///< the server's count: not compared across PostgreSQL versions or settings
  bool higher_better = false;  ///< cache hits; every other figure is lower-is-better
};

/// The tier-1 figures, in the order the gate checks them.
const std::vector<Tier1Figure>& tier1_figures();

/// Their names (each has a tolerance in the policy).
const std::vector<std::string_view>& tolerance_figures();

/// How far a tier-1 figure may move: a change larger than max(relative * baseline, absolute) in
/// the worse direction (lower is better for every tier-1 figure but cache_hits) is a regression; as large in the
/// better direction, `improved` (passes). `check` false leaves the figure out.
struct Tolerance {
  double relative = 0;
  double absolute = 0;
  bool check = true;
  friend bool operator==(const Tolerance&, const Tolerance&) = default;
};

/// A head/base timing comparison (two builds' samples measured interleaved in one run): a path
/// regresses only when the Holm-corrected Mann-Whitney test rejects at `alpha`, the interval of
/// the slowdown ratio lies wholly above `threshold`, and the slowdown is more than
/// `absolute_floor` in the metric's base unit (seconds for latency).
struct Timing {
  double threshold = 1.10;
  double absolute_floor = 1e-6;
  double alpha = 0.05;
  friend bool operator==(const Timing&, const Timing&) = default;
};

/// The settings that apply to one series (or one plan group): defaults with the matching overrides.
struct Settings {
  std::map<std::string, Tolerance, std::less<>> tolerance;  ///< by figure name, one per tolerance_figures()
  bool plan_shape = true;                                    ///< compare the plans' node types
  /// Tier 2: the speed-up against naive (the run's delta) that the series must keep, per metric
  /// (latency, throughput, event_loop_lag_p99). None: not gated.
  std::map<results::Metric, double> speedup_floor;
  Timing timing;
  /// Missing from the current run is not a regression (a path retired on purpose).
  bool allow_missing = false;
  /// The tolerance of a tier-1 figure (one of tolerance_figures()).
  [[nodiscard]] const Tolerance& tolerance_of(std::string_view figure) const;
  friend bool operator==(const Settings&, const Settings&) = default;
};

/// Which series an override applies to: every field given must be equal; `parameters` must all
/// be present with these values. An empty match applies to every series.
struct Match {
  std::optional<std::string> family, path, implementation, mode;
  std::map<std::string, double> parameters;
  [[nodiscard]] bool matches(const results::Series& s) const;
};

/// One override: the fields it sets, each optional.
struct Override {
  Match match;
  struct TolerancePatch {
    std::optional<double> relative, absolute;
    std::optional<bool> check;
  };
  std::map<std::string, TolerancePatch, std::less<>> tolerance;
  std::optional<bool> plan_shape;
  std::map<results::Metric, std::optional<double>> speedup_floor;  ///< nullopt: no floor (JSON null)
  std::optional<double> threshold, absolute_floor, alpha;
  std::optional<bool> allow_missing;
};

struct Policy {
  std::string origin;  ///< the file it came from, or "the built-in policy"
  Settings defaults;
  std::vector<Override> overrides;
  /// The settings for `s` (its family, path, implementation, mode and parameters).
  [[nodiscard]] Settings settings_for(const results::Series& s) const;
};

/// The built-in values `defaults` starts from: counts exact, peak heap within 25% or 64 KiB,
/// shared buffers within 25% or 8 buffers, plan shape compared, no speed-up floors, timing
/// threshold 1.10, absolute floor 1 us, alpha 0.05.
Settings builtin_defaults();

/// Parses a policy file's text; InputError naming `origin` and the key on any problem.
Policy parse_policy(std::string_view json, std::string_view origin);
/// Reads and parses a policy file; InputError (exit 2) if it cannot be read or is invalid.
Policy load_policy(const std::string& path);
/// reports/baselines/policy.json as compiled into certbench.
const Policy& default_policy();

}  // namespace certbench::gate
