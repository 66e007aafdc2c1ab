#pragma once
// The console output as usual, with every iteration run kept by name, so that a program can judge
// its issue's goals on the figures of the run it just made (--certbench_goals).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace certbench::bench {

class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      if (run.error_occurred) continue;
      // Real time per iteration in nanoseconds, whatever unit the benchmark prints in.
      const double ns = run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e9;
      if (run.run_type == Run::RT_Iteration) {
        auto& m = measured_[run.benchmark_name()];
        m.nanos.push_back(ns);
        for (const auto& [name, counter] : run.counters) m.counters[name] = counter.value;
      } else if (run.aggregate_name == "median") {  // --benchmark_report_aggregates_only
        auto& m = measured_[run.run_name.str()];
        m.median = ns;
        for (const auto& [name, counter] : run.counters) m.counters[name] = counter.value;
      }
    }
  }

  /// Median over the repetitions of `name` (as printed, e.g. "x/y/real_time"), in nanoseconds.
  [[nodiscard]] std::optional<double> median_ns(const std::string& name) const {
    auto it = measured_.find(name);
    if (it == measured_.end()) return std::nullopt;
    if (it->second.nanos.empty()) return it->second.median;
    auto v = it->second.nanos;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }

  /// A counter of `name`'s last repetition.
  [[nodiscard]] std::optional<double> counter(const std::string& name, const std::string& counter) const {
    auto it = measured_.find(name);
    if (it == measured_.end()) return std::nullopt;
    auto c = it->second.counters.find(counter);
    return c == it->second.counters.end() ? std::nullopt : std::optional(c->second);
  }

 private:
  struct Measured {
    std::vector<double> nanos;     // one per repetition
    std::optional<double> median;  // as reported, when only aggregates are
    std::map<std::string, double> counters;
  };
  std::map<std::string, Measured> measured_;
};

}  // namespace certbench::bench
