#pragma once
// A histogram of durations in logarithmic buckets with a bounded relative error (HdrHistogram's
// idea, without its library): each bucket spans a factor of 1 + 2^-7 (0.8%), from 1 µs to
// 1000 s, so any percentile read from it is within 0.8% of the true value; beyond the range, the
// ends. Fixed size, no allocation while adding: a load generator adds every answer to it.
//
// Thread safety: none; one writer at a time (merge() joins histograms from several).
#include <cstdint>
#include <vector>

namespace certbench::loadgen {

class LogHistogram {
 public:
  LogHistogram();
  void add(double seconds) noexcept;
  void merge(const LogHistogram& other);
  [[nodiscard]] std::uint64_t count() const noexcept { return count_; }
  [[nodiscard]] double max() const noexcept { return max_; }
  [[nodiscard]] double sum() const noexcept { return sum_; }  ///< of every value added
  /// The value at quantile q in [0, 1] (the upper edge of its bucket, capped at the largest value
  /// added); 0 when empty.
  [[nodiscard]] double quantile(double q) const noexcept;
  /// Values added below `seconds`, to within one bucket: the buckets wholly below it (a value
  /// up to 0.8% under `seconds` may be left out): a Prometheus bucket's cumulative count.
  [[nodiscard]] std::uint64_t count_at_or_below(double seconds) const noexcept;

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  double max_ = 0;
  double sum_ = 0;
};

}  // namespace certbench::loadgen
