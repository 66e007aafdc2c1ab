#include "certbench/results/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

namespace certbench::results {
namespace {

double percentile_in_place(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const auto rank = std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank), v.end());
  return v[rank];
}

// The 2.5% and 97.5% points of the bootstrap estimates.
Interval interval_of(double estimate, std::vector<double>& estimates) {
  std::sort(estimates.begin(), estimates.end());
  const auto at = [&](double q) {
    const auto i = std::min(estimates.size() - 1, static_cast<std::size_t>(q * static_cast<double>(estimates.size())));
    return estimates[i];
  };
  return {estimate, at(0.025), at(0.975)};
}

// A resample whose denominator's median is 0 has no finite ratio: the interval's bound is then the
// largest double ("unbounded"), which JSON can carry and infinity cannot.
double ratio(double a, double b) {
  if (b == 0) return a == 0 ? 1.0 : std::numeric_limits<double>::max();
  return a / b;
}

}  // namespace

double percentile(std::span<const double> samples, double q) {
  std::vector<double> v(samples.begin(), samples.end());
  return percentile_in_place(v, q);
}

Summary summarize(std::span<const double> samples) {
  Summary s;
  s.n = samples.size();
  if (samples.empty()) return s;
  std::vector<double> v(samples.begin(), samples.end());
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]; };
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  s.min = v.front();
  s.max = v.back();
  s.median = at(0.5);
  s.p95 = at(0.95);
  s.p99 = at(0.99);
  return s;
}

std::uint64_t seed_of(std::string_view text) noexcept {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

Interval ratio_of_medians(std::span<const double> numerator, std::span<const double> denominator, bool paired,
                          std::uint64_t seed, const BootstrapOptions& options) {
  if (numerator.empty() || denominator.empty()) throw std::invalid_argument("ratio_of_medians: no samples");
  if (paired && numerator.size() != denominator.size())
    throw std::invalid_argument("ratio_of_medians: paired samples of different sizes");
  const double estimate = ratio(percentile(numerator, 0.5), percentile(denominator, 0.5));
  std::mt19937_64 rng(seed ^ options.seed);
  std::vector<double> a(numerator.size()), b(denominator.size()), estimates;
  estimates.reserve(options.resamples);
  std::uniform_int_distribution<std::size_t> pick_a(0, numerator.size() - 1), pick_b(0, denominator.size() - 1);
  for (unsigned r = 0; r < options.resamples; ++r) {
    if (paired) {
      for (std::size_t i = 0; i < a.size(); ++i) {
        const auto k = pick_a(rng);
        a[i] = numerator[k];
        b[i] = denominator[k];
      }
    } else {
      for (auto& x : a) x = numerator[pick_a(rng)];
      for (auto& x : b) x = denominator[pick_b(rng)];
    }
    estimates.push_back(ratio(percentile_in_place(a, 0.5), percentile_in_place(b, 0.5)));
  }
  return interval_of(estimate, estimates);
}

namespace {
// The order-statistic interval of sorted `ratios` for a statistic whose null distribution is
// `cdf` (cdf(j) = P(count <= j)): the k-th smallest and largest, k the largest with
// P(count <= k - 1) <= 2.5%; the whole range when even k = 1 is too wide a tail.
template <typename Cdf>
RankInterval order_interval(std::vector<double>& ratios, Cdf cdf) {
  std::sort(ratios.begin(), ratios.end());
  const std::size_t n = ratios.size();
  std::size_t k = 0;
  while (k + 1 <= n / 2 && cdf(k) <= 0.025) ++k;  // P(count <= k) <= 2.5%: k + 1 is still fine
  RankInterval out;
  out.interval.estimate = ratios[std::min(n - 1, n / 2)];
  if (k == 0) {  // the range misses only when every count falls on one side: 2 cdf(0)
    out.interval.low = ratios.front();
    out.interval.high = ratios.back();
    out.coverage = std::max(0.0, 1 - 2 * cdf(0));
    return out;
  }
  out.interval.low = ratios[k - 1];
  out.interval.high = ratios[n - k];
  out.coverage = 1 - 2 * cdf(k - 1);
  return out;
}

double binomial_half_cdf(std::size_t n, std::size_t j) {  // P(Binomial(n, 1/2) <= j)
  double term = std::pow(0.5, static_cast<double>(n)), sum = 0;
  for (std::size_t i = 0; i <= j && i <= n; ++i) {
    sum += term;
    term = term * static_cast<double>(n - i) / static_cast<double>(i + 1);
  }
  return sum;
}

// P(U <= j) for the Mann–Whitney U of samples of sizes n and m, exactly (no ties). The count of
// arrangements with U = u is the coefficient of q^u in the Gaussian binomial
// [n + m choose n] = prod_{i=1..n} (1 - q^(m + i)) / (1 - q^i), over C(n + m, n); U is symmetric
// about nm/2, so the coefficients up to half of it are enough. O(min(n, m) * nm) time, O(nm) memory.
std::vector<double> mann_whitney_cdf(std::size_t n, std::size_t m) {
  if (n > m) std::swap(n, m);
  const std::size_t top = n * m, half = top / 2;
  std::vector<double> f(half + 1, 0);  // the coefficients of the product so far, up to q^half
  f[0] = 1;
  double total = 1;  // C(m + i, i) after step i
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t u = i; u <= half; ++u) f[u] += f[u - i];            // / (1 - q^i)
    for (std::size_t u = half; u >= m + i; --u) f[u] -= f[u - (m + i)];  // * (1 - q^(m + i))
    total = total * static_cast<double>(m + i) / static_cast<double>(i);
  }
  std::vector<double> cdf(top + 1);
  double run = 0;
  for (std::size_t u = 0; u <= half; ++u) cdf[u] = (run += f[u]) / total;
  for (std::size_t u = half + 1; u < top; ++u) cdf[u] = 1 - cdf[top - u - 1];  // P(U <= u) = P(U >= nm - u)
  cdf[top] = 1;
  return cdf;
}
}  // namespace

RankInterval rank_ratio_interval(std::span<const double> numerator, std::span<const double> denominator, bool paired) {
  if (numerator.empty() || denominator.empty()) throw std::invalid_argument("rank_ratio_interval: no samples");
  if (paired && numerator.size() != denominator.size())
    throw std::invalid_argument("rank_ratio_interval: paired samples of different sizes");
  std::vector<double> ratios;
  if (paired) {
    for (std::size_t i = 0; i < numerator.size(); ++i) ratios.push_back(ratio(numerator[i], denominator[i]));
    const std::size_t n = ratios.size();
    return order_interval(ratios, [n](std::size_t j) { return binomial_half_cdf(n, j); });
  }
  for (double a : numerator)
    for (double b : denominator) ratios.push_back(ratio(a, b));
  const auto cdf = mann_whitney_cdf(numerator.size(), denominator.size());
  return order_interval(ratios, [&cdf](std::size_t j) { return cdf[std::min(j, cdf.size() - 1)]; });
}

RankInterval median_rank_interval(std::span<const double> samples) {
  if (samples.empty()) throw std::invalid_argument("median_rank_interval: no samples");
  std::vector<double> v(samples.begin(), samples.end());
  const std::size_t n = v.size();
  return order_interval(v, [n](std::size_t j) { return binomial_half_cdf(n, j); });
}

Interval quantile_interval(std::span<const double> samples, double q, std::uint64_t seed,
                           const BootstrapOptions& options) {
  if (samples.empty()) throw std::invalid_argument("quantile_interval: no samples");
  std::mt19937_64 rng(seed ^ options.seed);
  std::uniform_int_distribution<std::size_t> pick(0, samples.size() - 1);
  std::vector<double> v(samples.size()), estimates;
  estimates.reserve(options.resamples);
  for (unsigned r = 0; r < options.resamples; ++r) {
    for (auto& x : v) x = samples[pick(rng)];
    estimates.push_back(percentile_in_place(v, q));
  }
  return interval_of(percentile(samples, q), estimates);
}

Interval growth_exponent(std::span<const double> x, std::span<const std::span<const double>> samples,
                         std::uint64_t seed, const BootstrapOptions& options) {
  if (x.size() != samples.size() || x.size() < 2) throw std::invalid_argument("growth_exponent: need two points");
  for (const auto& s : samples)
    if (s.empty()) throw std::invalid_argument("growth_exponent: a point without samples");
  const auto log_of = [](double median) { return std::log(std::max(median, std::numeric_limits<double>::min())); };
  const auto slope = [&](const std::vector<double>& y) {
    const double n = static_cast<double>(x.size());
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n, my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0, sxx = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      sxy += (x[i] - mx) * (y[i] - my);
      sxx += (x[i] - mx) * (x[i] - mx);
    }
    return sxx == 0 ? 0.0 : sxy / sxx;
  };
  std::vector<double> y;
  for (const auto& s : samples) y.push_back(log_of(percentile(s, 0.5)));
  const double estimate = slope(y);
  std::mt19937_64 rng(seed ^ options.seed);
  std::vector<double> estimates, resample;
  estimates.reserve(options.resamples);
  for (unsigned r = 0; r < options.resamples; ++r) {
    for (std::size_t i = 0; i < samples.size(); ++i) {
      std::uniform_int_distribution<std::size_t> pick(0, samples[i].size() - 1);
      resample.resize(samples[i].size());
      for (auto& v : resample) v = samples[i][pick(rng)];
      y[i] = log_of(percentile_in_place(resample, 0.5));
    }
    estimates.push_back(slope(y));
  }
  return interval_of(estimate, estimates);
}

RankTest mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("mann_whitney_u: no samples");
  // Ranks of the pooled samples, ties given their average rank; the tie term sums t^3 - t over
  // each group of t equal values.
  std::vector<std::pair<double, bool>> pooled;  // (value, from a)
  pooled.reserve(a.size() + b.size());
  for (double x : a) pooled.emplace_back(x, true);
  for (double x : b) pooled.emplace_back(x, false);
  std::sort(pooled.begin(), pooled.end(), [](const auto& l, const auto& r) { return l.first < r.first; });
  double rank_sum_a = 0, tie_term = 0;
  for (std::size_t i = 0; i < pooled.size();) {
    std::size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const double t = static_cast<double>(j - i);
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (std::size_t k = i; k < j; ++k)
      if (pooled[k].second) rank_sum_a += average_rank;
    tie_term += t * t * t - t;
    i = j;
  }
  const double n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size()), n = n1 + n2;
  RankTest out;
  out.u = rank_sum_a - n1 * (n1 + 1) / 2;
  const double mu = n1 * n2 / 2;
  const double variance = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) return out;  // every value tied: nothing to tell the samples apart
  const double sd = std::sqrt(variance);
  const double distance = std::fabs(out.u - mu) - 0.5;  // the continuity correction
  out.z = (out.u > mu ? 1 : -1) * std::max(0.0, distance) / sd;
  out.p = std::min(1.0, std::erfc(distance / sd / std::sqrt(2.0)));  // 2 * P(Z > distance / sd)
  return out;
}

std::vector<double> holm_adjust(std::span<const double> p) {
  const std::size_t m = p.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t l, std::size_t r) { return p[l] < p[r]; });
  std::vector<double> adjusted(m);
  double running = 0;  // adjusted p-values never decrease along the sorted order
  for (std::size_t i = 0; i < m; ++i) {
    running = std::max(running, std::min(1.0, static_cast<double>(m - i) * p[order[i]]));
    adjusted[order[i]] = running;
  }
  return adjusted;
}

}  // namespace certbench::results
