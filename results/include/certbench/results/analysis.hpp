#pragma once
// From series to judgement: the deltas of every implementation against its path's baseline
// (naive), and the review's claims and certbench's goals judged on them. One table holds both
// (results/claims.json, compiled in); nothing else in certbench spells a threshold.
//
// Thread safety: pure functions over values.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::results {

/// One row of the claims table.
struct ClaimEntry {
  std::string id;
  std::string kind;  ///< "claim" or "goal"
  std::string text;
  std::string family;
  std::vector<std::string> paths;
  Metric metric = Metric::latency;
  std::string baseline;          ///< implementation compared against ("" for express = value)
  std::string baseline_family;   ///< "" = the entry's family
  std::map<std::string, double> baseline_where;  ///< the baseline's parameters that differ from the subject's
  std::string subject;           ///< the implementation judged
  std::string mode;              ///< "" = any
  std::map<std::string, double> where;  ///< parameters a subject must have
  std::string at_highest;        ///< judge only at the highest value of this parameter
  std::string express;           ///< "reduction" (%), "factor" (x) or "value" (base unit)
  double quantile = 0.5;         ///< express = value: which quantile of the samples
  std::optional<double> range_low, range_high;  ///< a claimed range: below / within / beyond
  std::optional<double> at_least, at_most;      ///< a goal: met / not met
  /// The expected figure in words, e.g. "60-80% reduction", ">= 100x", "<= 100 ns".
  [[nodiscard]] std::string expected() const;
};

/// The claims table compiled into certbench (results/claims.json).
const std::vector<ClaimEntry>& claims_table();
/// Parses a claims table; throws InputError naming the entry and field that is wrong.
std::vector<ClaimEntry> parse_claims(std::string_view json);

/// Families whose implementations were called in interleaved rounds (sample i of each in round i).
bool interleaved(std::string_view family) noexcept;

/// A ratio of medians, numerator/denominator, with the interval its samples support and how it
/// was made (a `method::` name): from kBootstrapMinSamples a side a bootstrap, paired when
/// `paired` (sample i of each in round i); below, order statistics — the sign test's interval of
/// paired rounds, Mann–Whitney's of independent samples — or, where even those fall short of 95%,
/// the range of the ratios (method::range: no verdict is drawn on it). `key` seeds the bootstrap.
/// The one choice behind every ratio certbench prints. Throws std::invalid_argument for empty or
/// (paired) unequal samples.
struct RatioInterval {
  Interval factor;
  std::string_view method;
};
RatioInterval ratio_interval(std::span<const double> numerator, std::span<const double> denominator, bool paired,
                             std::string_view key);

/// `other` against `baseline` on `metric`: from samples when both have them (a bootstrap interval,
/// paired where interleaved), else from values (exact). std::nullopt when either side lacks the
/// metric or a side is zero (no finite factor).
std::optional<Delta> compare(const Series& baseline, const Series& other, Metric metric);

/// Every implementation against its path's naive series (same family, path and parameters; the
/// disk's ceiling against the naive file save), on every metric with a direction.
std::vector<Delta> compute_deltas(const Run& run);

/// The series of `s`'s family, path, implementation and parameters under index set `set` (its
/// mode); nullptr when the run has none.
const Series* under_set(const Run& run, const Series& s, std::string_view set);
/// The delta of `other` against `baseline` on `metric` in run.deltas; nullptr when there is none.
const Delta* find_delta(const Run& run, const Series& baseline, const Series& other, Metric metric);

/// The index scenario's comparisons (docs/indexes.md): each set's series of family indexes
/// (listings: latency, shared buffers) and index_writes (insert rate) against the same series
/// under `none`, and best's against review's; paired bootstrap intervals (the sets' copies are
/// measured in the same interleaved rounds, their inserts batch by batch).
std::vector<Delta> index_deltas(const Run& run);

/// The verdict on every index of the review and best sets (IndexVerdict's rule), from the
/// series of families index, indexes and index_writes, run.deltas (index_deltas) and
/// run.index_use (which listing scanned which index).
std::vector<IndexVerdict> judge_indexes(const Run& run);

/// Judges each entry on the run's series. A claim always gets a verdict (not_measured when the run
/// has no figures for it); a goal only when the run measured its family. Deltas the entries need that compute_deltas does not make
/// (e.g. against the ceiling) are appended to `extra_deltas` when given.
std::vector<Verdict> judge(const Run& run, std::span<const ClaimEntry> entries,
                           std::vector<Delta>* extra_deltas = nullptr);

/// The growth order of every (family, path, implementation) measured at two or more scales with
/// otherwise equal parameters, for latency and (where sampled) peak heap.
std::vector<GrowthFit> fit_growth(const Run& run);

/// The largest latency or throughput deltas against naive, the largest of each family first (so
/// that one family's cache hits do not hide the others), at most `n`; the disk's ceiling left out.
std::vector<const Delta*> headline_deltas(const Run& run, std::size_t n);

/// A series as verdicts and the headline name it: its path with the parameters that tell it
/// apart, "get_public_certificates (connections 8, scale 100000, closed_loop)".
std::string subject_of(const Series& s);

/// Fills run.deltas (index_deltas' too), run.verdicts (against claims_table()), run.fits and
/// run.index_verdicts.
void analyse(Run& run);

/// Outcome of an interval against a claimed range [low, high] or a goal's bound.
Outcome judge_interval(const Interval& measured, const ClaimEntry& entry);

}  // namespace certbench::results
