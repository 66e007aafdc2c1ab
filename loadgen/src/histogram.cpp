#include "certbench/loadgen/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace certbench::loadgen {
namespace {

constexpr double kLowest = 1e-6;                  // 1 µs: the first bucket's lower edge
constexpr double kGrowth = 1.0 + 1.0 / 128;       // each bucket's upper edge over its lower
const double kLogGrowth = std::log(kGrowth);
constexpr double kHighest = 1000;                 // seconds
const std::size_t kBuckets = static_cast<std::size_t>(std::ceil(std::log(kHighest / kLowest) / std::log(kGrowth))) + 1;

std::size_t bucket_of(double seconds) noexcept {
  if (!(seconds > kLowest)) return 0;
  const double i = std::floor(std::log(seconds / kLowest) / kLogGrowth);
  return std::min(kBuckets - 1, static_cast<std::size_t>(i));
}

double upper_edge(std::size_t bucket) noexcept { return kLowest * std::pow(kGrowth, static_cast<double>(bucket + 1)); }

}  // namespace

LogHistogram::LogHistogram() : buckets_(kBuckets, 0) {}

void LogHistogram::add(double seconds) noexcept {
  ++buckets_[bucket_of(seconds)];
  ++count_;
  sum_ += seconds;
  max_ = std::max(max_, seconds);
}

void LogHistogram::merge(const LogHistogram& other) {
  for (std::size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

double LogHistogram::quantile(double q) const noexcept {
  if (count_ == 0) return 0;
  // The rank of the value at q (1-based, nearest rank), then the bucket that holds it.
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(upper_edge(i), max_);
  }
  return max_;
}

std::uint64_t LogHistogram::count_at_or_below(double seconds) const noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < buckets_.size() && upper_edge(i) <= seconds; ++i) n += buckets_[i];
  return n;
}

}  // namespace certbench::loadgen
