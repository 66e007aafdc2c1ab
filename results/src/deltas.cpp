// Deltas: each implementation against its path's naive series, with the interval its samples allow.
#include "certbench/results/analysis.hpp"

#include <algorithm>
#include <set>

#include "analysis_parts.hpp"
#include "certbench/results/statistics.hpp"

namespace certbench::results {


// Independent samples ranked pair by pair (rank_ratio_interval): beyond this many pairs, the
// bootstrap.
constexpr std::size_t kRankSumMaxPairs = 20'000;

bool interleaved(std::string_view f) noexcept {
  return f == family::listing || f == family::caching || f == family::derived || f == family::overhead ||
         f == family::compare || f == family::indexes || f == family::index_writes || f == family::http;
}

namespace detail {
// Loads (requests on the event loop, the disk's ceiling) keep every request's latency and every lag
// sample, but those are correlated within a window: an interval from them would be far narrower
// than the data justify. Their deltas come from per-repetition figures (throughput, lag p99).
bool correlated(const Series& s, Metric m) {
  const bool load = s.family == family::listing_loop || s.family == family::file_save || s.family == family::ceiling;
  return load && (m == Metric::latency || m == Metric::event_loop_lag);
}
}  // namespace detail

RatioInterval ratio_interval(std::span<const double> numerator, std::span<const double> denominator, bool paired,
                             std::string_view key) {
  // Too few samples on a side for a bootstrap: order statistics, with the confidence they have
  // (independent samples only while every pair's ratio is cheap to list).
  const bool few = std::min(numerator.size(), denominator.size()) < kBootstrapMinSamples;
  if (few && (paired || numerator.size() * denominator.size() <= kRankSumMaxPairs)) {
    const auto r = rank_ratio_interval(numerator, denominator, paired);
    return {r.interval, r.coverage >= 0.95 ? (paired ? method::sign_test : method::rank_sum) : method::range};
  }
  return {ratio_of_medians(numerator, denominator, paired, seed_of(key)),
          paired ? method::paired_bootstrap : method::bootstrap};
}

std::optional<Delta> compare(const Series& baseline, const Series& other, Metric metric) {
  const auto better = info(metric).better;
  if (better == Better::neither || correlated(baseline, metric) || correlated(other, metric)) return std::nullopt;
  Delta d;
  d.baseline_key = baseline.key();
  d.other_key = other.key();
  d.metric = metric;
  const auto* bs = baseline.samples_of(metric);
  const auto* os = other.samples_of(metric);
  if (bs != nullptr && os != nullptr && !bs->empty() && !os->empty()) {
    if (percentile(*bs, 0.5) <= 0 || percentile(*os, 0.5) <= 0) return std::nullopt;
    const bool paired = interleaved(baseline.family) && baseline.family == other.family && bs->size() == os->size();
    const auto& num = better == Better::lower ? *bs : *os;
    const auto& den = better == Better::lower ? *os : *bs;
    const auto r = ratio_interval(num, den, paired, d.baseline_key + "|" + d.other_key + "|" + std::string(name(metric)));
    d.factor = r.factor;
    d.method = r.method;
    d.baseline_n = bs->size();
    d.other_n = os->size();
    return d;
  }
  const auto bv = baseline.value(metric), ov = other.value(metric);
  if (!bv || !ov || *bv <= 0 || *ov <= 0) return std::nullopt;
  const double f = better == Better::lower ? *bv / *ov : *ov / *bv;
  d.factor = {f, f, f};
  d.method = method::exact;
  d.baseline_n = d.other_n = 1;
  return d;
}

std::vector<Delta> compute_deltas(const Run& run) {
  std::vector<Delta> out;
  for (const auto& s : run.series) {
    if (s.implementation == "naive" || s.family == family::benchmark || index_family(s.family)) continue;
    const Series* b = baseline_of(run, s, "naive", comparable_family(s.family));
    if (b == nullptr) continue;
    for (const auto& m : metrics()) {
      // An HTTP load's p90 and p99.9 are shown, not compared: p50 and p99 say as much with fewer series.
      if (m.metric == Metric::latency_p90 || m.metric == Metric::latency_p999) continue;
      if (auto d = compare(*b, s, m.metric)) out.push_back(std::move(*d));
    }
  }
  return out;
}

const Delta* find_delta(const Run& run, const Series& baseline, const Series& other, Metric metric) {
  const auto bk = baseline.key(), ok = other.key();
  for (const auto& d : run.deltas)
    if (d.baseline_key == bk && d.other_key == ok && d.metric == metric) return &d;
  return nullptr;
}

std::vector<const Delta*> headline_deltas(const Run& run, std::size_t n) {
  std::vector<const Delta*> all;
  for (const auto& d : run.deltas) {
    if (d.metric != Metric::latency && d.metric != Metric::throughput) continue;
    const auto* b = run.find(d.baseline_key);
    const auto* s = run.find(d.other_key);
    if (b == nullptr || s == nullptr || b->implementation != "naive" || s->family == family::ceiling ||
        index_family(s->family))
      continue;
    // The run's own dataset only (a --full sweep adds other scales): the figure is then in the tables.
    if (const auto scale = s->parameter("scale"); scale && *scale != static_cast<double>(run.environment.dataset_scale))
      continue;
    all.push_back(&d);
  }
  std::sort(all.begin(), all.end(), [](const Delta* a, const Delta* b) { return a->factor.estimate > b->factor.estimate; });
  // The largest of each family first, then the rest, each part in size order.
  std::vector<const Delta*> first, rest;
  std::set<std::string> seen;
  for (const auto* d : all) (seen.insert(run.find(d->other_key)->family).second ? first : rest).push_back(d);
  first.insert(first.end(), rest.begin(), rest.end());
  if (first.size() > n) first.resize(n);
  return first;
}

}  // namespace certbench::results
