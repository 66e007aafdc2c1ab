#pragma once
// Every run kept by name, so that a program can judge its issue's goals on the figures of the run
// it just made (--certbench_goals), while the output stays exactly what Google Benchmark's own
// flags ask for: the runs go on to the display reporter Google Benchmark makes from
// --benchmark_format and --benchmark_color (CreateDefaultDisplayReporter, the reporter
// RunSpecifiedBenchmarks would use without one of ours), and the file reporter slot stays
// Google Benchmark's, so --benchmark_out and --benchmark_out_format are untouched.
//
// (It was a ConsoleReporter subclass: the console table whatever the format, and colour codes
// whatever --benchmark_color said and wherever stdout went.)
#include <benchmark/benchmark.h>

#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "certbench/harness/percentile.hpp"

namespace certbench::bench {

/// The median by certbench's one percentile rule (the value at rank floor(n/2) of the sorted
/// samples), where Google Benchmark's "median" averages the two middle values of an even count.
inline double certbench_median(const std::vector<double>& samples) { return harness::percentile(samples, 0.5); }

/// The name of certbench's median among Google Benchmark's aggregates (name_p50).
inline const std::string kMedianAggregate = "p50";

/// Adds certbench's median to the aggregates of `b`'s repetitions, so that the goals can be judged
/// when only aggregates are reported (--benchmark_report_aggregates_only).
inline benchmark::internal::Benchmark* with_certbench_median(benchmark::internal::Benchmark* b) {
  return b->ComputeStatistics(kMedianAggregate, &certbench_median);
}

class CollectingReporter final : public benchmark::BenchmarkReporter {
 public:
  CollectingReporter() : display_(benchmark::CreateDefaultDisplayReporter()) {}

  bool ReportContext(const Context& context) override { return display_->ReportContext(context); }

  void ReportRuns(const std::vector<Run>& runs) override {
    display_->ReportRuns(runs);
    for (const auto& run : runs) {
      if (run.error_occurred) continue;
      // Real time per iteration in nanoseconds, whatever unit the benchmark prints in.
      const double ns = run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e9;
      if (run.run_type == Run::RT_Iteration) {
        auto& m = measured_[run.benchmark_name()];
        m.nanos.push_back(ns);
        for (const auto& [name, counter] : run.counters) m.counters[name] = counter.value;
      } else if (run.aggregate_name == kMedianAggregate) {  // only aggregates reported
        auto& m = measured_[run.run_name.str()];
        m.median = ns;
        for (const auto& [name, counter] : run.counters) m.counters[name] = counter.value;
      }
    }
  }

  void Finalize() override { display_->Finalize(); }

  /// Where text beside the runs (the goals) belongs: stdout under the console format, stderr when
  /// stdout carries JSON or CSV, which must stay parseable.
  [[nodiscard]] std::ostream& notes() const {
    return dynamic_cast<const benchmark::ConsoleReporter*>(display_) != nullptr ? std::cout : std::cerr;
  }

  /// Median over the repetitions of `name` (as printed, e.g. "x/y/real_time"), in nanoseconds, by
  /// certbench's percentile rule.
  [[nodiscard]] std::optional<double> median_ns(const std::string& name) const {
    auto it = measured_.find(name);
    if (it == measured_.end()) return std::nullopt;
    if (it->second.nanos.empty()) return it->second.median;
    return certbench_median(it->second.nanos);
  }

  /// A counter of `name`'s last repetition (or of its median, when only aggregates are reported).
  [[nodiscard]] std::optional<double> counter(const std::string& name, const std::string& counter) const {
    auto it = measured_.find(name);
    if (it == measured_.end()) return std::nullopt;
    auto c = it->second.counters.find(counter);
    return c == it->second.counters.end() ? std::nullopt : std::optional(c->second);
  }

 private:
  benchmark::BenchmarkReporter* display_;  // Google Benchmark's own, kept for the process
  struct Measured {
    std::vector<double> nanos;     // one per repetition
    std::optional<double> median;  // certbench's, as aggregated, when only aggregates are reported
    std::map<std::string, double> counters;
  };
  std::map<std::string, Measured> measured_;
};

}  // namespace certbench::bench
