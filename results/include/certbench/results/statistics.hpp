#pragma once
// The one statistics module of certbench: the percentile rule every figure uses, summaries of
// samples, and the 95% intervals of deltas (docs/results.md explains the choices).
//
// Intervals are percentile bootstraps with a fixed seed, so the same samples always give the same
// interval. Where two implementations were called in interleaved rounds (round i of each was
// taken back to back), rounds are resampled together (paired): drift on a shared machine then
// moves both sides of a resample alike and cancels in the ratio. Otherwise each side is resampled
// on its own.
//
// Thread safety: pure functions.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::results {

/// The value at rank floor(q * n) of the sorted samples (q = 0.5: the median; 0 for none).
double percentile(std::span<const double> samples, double q);

struct Summary {
  std::uint64_t n = 0;
  double mean = 0, min = 0, median = 0, p95 = 0, p99 = 0, max = 0;
};
Summary summarize(std::span<const double> samples);

struct BootstrapOptions {
  unsigned resamples = 1000;
  std::uint64_t seed = 0x5eedULL;  ///< mixed with the caller's key: every delta has its own stream
};

/// The ratio median(numerator) / median(denominator) and its 95% interval. `paired`: the samples
/// were taken in interleaved rounds, sample i of each in round i (both must have the same size).
Interval ratio_of_medians(std::span<const double> numerator, std::span<const double> denominator, bool paired,
                          std::uint64_t seed, const BootstrapOptions& options = {});

/// Samples below which a bootstrap interval is not trusted (its percentiles come from too few
/// distinct resamples): a delta with a side that has fewer uses rank_ratio_interval instead.
inline constexpr std::size_t kBootstrapMinSamples = 20;

/// A distribution-free interval for small samples, with the confidence it actually has.
struct RankInterval {
  Interval interval;
  double coverage = 0;  ///< the interval's exact confidence (>= 0.95 when the samples allow it)
};

/// The ratio numerator/denominator from order statistics, valid at any sample size:
///  - paired (sample i of each in round i): the per-round ratios; the estimate is their median,
///    the interval the sign test's — the k-th smallest and largest ratio, k the largest with
///    P(Binomial(n, 1/2) < k) <= 2.5%;
///  - unpaired: every numerator sample over every denominator sample; the estimate is their median
///    (Hodges–Lehmann's, on the log scale), the interval Mann–Whitney's — the k-th smallest and
///    largest ratio, k from the exact distribution of U.
/// When the samples are too few for 95% — paired, fewer than 6; unpaired, when even all of one
/// side above all of the other is likelier than 2.5% by chance (P(U = 0) > 2.5%: 3 against 3 or 4,
/// 2 against up to 7) — the interval is the whole range of the ratios and `coverage` says what it
/// is (paired 3: 75%). A ratio with a
/// denominator of 0 is the largest double. Throws std::invalid_argument for empty or (paired)
/// unequal samples.
RankInterval rank_ratio_interval(std::span<const double> numerator, std::span<const double> denominator, bool paired);

/// The median of `samples` and the sign test's interval for it, as rank_ratio_interval's paired
/// one (the whole range, with its coverage, when fewer than 6 samples).
RankInterval median_rank_interval(std::span<const double> samples);

/// The q-quantile of `samples` and its 95% interval.
Interval quantile_interval(std::span<const double> samples, double q, std::uint64_t seed,
                           const BootstrapOptions& options = {});

/// The slope of log(median(samples[i])) against x[i] (least squares) and its 95% interval, each
/// point's samples resampled on their own: the exponent k of cost ~ scale^k when x = log(scale).
Interval growth_exponent(std::span<const double> x, std::span<const std::span<const double>> samples,
                         std::uint64_t seed, const BootstrapOptions& options = {});

/// The Mann–Whitney U test (Wilcoxon rank-sum) of two independent samples, two-sided, by the
/// normal approximation with the tie correction and a continuity correction of 0.5 — the figures
/// scipy.stats.mannwhitneyu(a, b, method="asymptotic") gives. `u` is the U of `a` (how many pairs
/// (x in a, y in b) have x > y, ties counting a half); `z` is signed (> 0: `a` tends to be larger).
/// A test of two samples that are all ties has p = 1. Throws std::invalid_argument when either
/// side is empty.
struct RankTest {
  double u = 0;
  double z = 0;
  double p = 1;
};
RankTest mann_whitney_u(std::span<const double> a, std::span<const double> b);

/// Holm–Bonferroni: the adjusted p-values of a family of tests, in the order given (reject test i
/// at level alpha when adjusted[i] < alpha; the family-wise error rate is then at most alpha).
std::vector<double> holm_adjust(std::span<const double> p);

/// A stable 64-bit seed from text (FNV-1a): the same delta gets the same resamples in every run.
std::uint64_t seed_of(std::string_view text) noexcept;

}  // namespace certbench::results
