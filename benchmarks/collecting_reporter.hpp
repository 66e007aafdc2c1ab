#pragma once
// Every run kept by name, so that a program can judge the claims table's goals on the figures of the run
// it just made (--certbench_goals), while the output stays exactly what Google Benchmark's own
// flags ask for: the runs go on to the display reporter Google Benchmark makes from
// --benchmark_format and --benchmark_color (CreateDefaultDisplayReporter, the reporter
// RunSpecifiedBenchmarks would use without one of ours), and the file reporter slot stays
// Google Benchmark's, so --benchmark_out and --benchmark_out_format are untouched.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "certbench/harness/environment.hpp"
#include "certbench/results/statistics.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/reports/terminal.hpp"
#include "certbench/results/analysis.hpp"
#include "certbench/results/run.hpp"

namespace certbench::bench {

/// The median by certbench's one percentile rule (the value at rank floor(n/2) of the sorted
/// samples), where Google Benchmark's "median" averages the two middle values of an even count.
inline double certbench_median(const std::vector<double>& samples) { return results::percentile(samples, 0.5); }

/// The name of certbench's median among Google Benchmark's aggregates (name_p50).
inline const std::string kMedianAggregate = "p50";

/// Adds certbench's median to the aggregates of `b`'s repetitions, so that the goals can be judged
/// when only aggregates are reported (--benchmark_report_aggregates_only).
inline benchmark::internal::Benchmark* with_certbench_median(benchmark::internal::Benchmark* b) {
  return b->ComputeStatistics(kMedianAggregate, &certbench_median);
}

/// Google Benchmark's runs as results Series (family "benchmark"), so that the goals are judged by
/// the claims table (results/claims.json) and the runs can be written as results.json. A name
/// "get_public_certificates/limited/scale:1000/page:1/keyset:0/real_time" becomes path
/// get_public_certificates, implementation limited, parameters scale, page, keyset and threads;
/// a third plain part is the mode ("hit", "miss"). Each repetition is a latency sample (seconds per
/// iteration); counters become values: round_trips, statements, rows (rows_received), bytes (bytes_received),
/// peak_heap_bytes (peak_heap), db_round_trips, redis_round_trips.
class CollectingReporter final : public benchmark::BenchmarkReporter {
 public:
  CollectingReporter() : display_(benchmark::CreateDefaultDisplayReporter()) {}

  bool ReportContext(const Context& context) override { return display_->ReportContext(context); }

  void ReportRuns(const std::vector<Run>& runs) override {
    display_->ReportRuns(runs);
    for (const auto& run : runs) {
      if (run.error_occurred) continue;
      const bool iteration = run.run_type == Run::RT_Iteration;
      if (!iteration && run.aggregate_name != kMedianAggregate) continue;  // p50: only aggregates reported
      const std::string name = iteration ? run.benchmark_name() : run.run_name.str();
      if (iteration) with_iterations_.insert(name);
      else if (with_iterations_.count(name) > 0) continue;  // the repetitions are there: no aggregate
      auto [it, fresh] = series_.try_emplace(name);
      if (fresh) {
        order_.push_back(name);
        it->second = series_of(name, run.threads);
      }
      auto& s = it->second;
      // Real time per iteration in seconds, whatever unit the benchmark prints in.
      s.samples[results::Metric::latency].push_back(run.GetAdjustedRealTime() /
                                                    benchmark::GetTimeUnitMultiplier(run.time_unit));
      for (const auto& [counter, value] : run.counters)
        if (auto m = metric_of(counter)) s.values[*m] = value.value;
    }
  }

  void Finalize() override { display_->Finalize(); }

  /// Where text beside the runs (the goals) belongs: stdout under the console format, stderr when
  /// stdout carries JSON or CSV, which must stay parseable.
  [[nodiscard]] std::FILE* notes() const {
    return dynamic_cast<const benchmark::ConsoleReporter*>(display_) != nullptr ? stdout : stderr;
  }

  /// The runs so far, in the order they were reported (environment left to the caller).
  [[nodiscard]] results::Run run() const {
    results::Run r;
    for (const auto& name : order_) r.series.push_back(series_.at(name));
    r.complete = true;
    return r;
  }

  /// Median over the repetitions of `name` (as printed, e.g. "x/y/real_time"), in nanoseconds, by
  /// certbench's percentile rule.
  [[nodiscard]] std::optional<double> median_ns(const std::string& name) const {
    auto it = series_.find(name);
    if (it == series_.end()) return std::nullopt;
    return certbench_median(it->second.samples.at(results::Metric::latency)) * 1e9;
  }

 private:
  static std::optional<results::Metric> metric_of(const std::string& counter) {
    using results::Metric;
    static const std::map<std::string, Metric> known{
        {"round_trips", Metric::round_trips},     {"statements", Metric::statements}, {"rows", Metric::rows_received},
        {"bytes", Metric::bytes_received},        {"peak_heap_bytes", Metric::peak_heap},
        {"db_round_trips", Metric::db_round_trips}, {"redis_round_trips", Metric::redis_round_trips}};
    auto it = known.find(counter);
    return it == known.end() ? std::nullopt : std::optional(it->second);
  }

  static results::Series series_of(const std::string& name, std::int64_t threads) {
    results::Series s;
    s.family = results::family::benchmark;
    s.parameters["threads"] = static_cast<double>(threads);
    std::size_t start = 0, part = 0;
    while (start <= name.size()) {
      const auto slash = name.find('/', start);
      const std::string item = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
      start = slash == std::string::npos ? name.size() + 1 : slash + 1;
      if (item.empty() || item == "real_time" || item == "process_time" || item.rfind("threads:", 0) == 0) continue;
      if (const auto colon = item.find(':'); colon != std::string::npos) {
        s.parameters[item.substr(0, colon)] = std::stod(item.substr(colon + 1));
        continue;
      }
      if (part == 0) s.path = item;
      else if (part == 1) s.implementation = item;
      else s.mode += (s.mode.empty() ? "" : "/") + item;
      ++part;
    }
    return s;
  }

  benchmark::BenchmarkReporter* display_;  // Google Benchmark's own, kept for the process
  std::map<std::string, results::Series> series_;
  std::vector<std::string> order_;
  std::set<std::string> with_iterations_;
};

/// Judges the claims table's goals about these benchmarks on `run` and prints them with `title`
/// (to reporter.notes()); returns the run with its verdicts.
inline results::Run judge_goals(const CollectingReporter& reporter, const std::string& title) {
  auto run = reporter.run();
  std::set<std::string> paths;
  for (const auto& s : run.series) paths.insert(s.path);
  std::vector<results::ClaimEntry> entries;
  for (const auto& e : results::claims_table())
    if (e.family == results::family::benchmark &&
        std::any_of(e.paths.begin(), e.paths.end(), [&](const std::string& p) { return paths.count(p) > 0; }))
      entries.push_back(e);
  run.verdicts = results::judge(run, entries);
  std::fprintf(reporter.notes(), "\n%s\n", title.c_str());
  reports::print_verdicts(run, reporter.notes());
  return run;
}

/// Writes the runs as results.json at `path`, with the environment of the server at `dsn`.
inline void write_results(const CollectingReporter& reporter, const std::string& dsn, const std::string& path) {
  auto run = reporter.run();
  run.environment.started_utc = harness::utc_now();
  harness::describe_environment(run.environment, dsn, std::nullopt);
  run.environment.ended_utc = run.environment.started_utc;
  results::analyse(run);
  sys::write_file_atomic(path, results::to_json(run));
}

}  // namespace certbench::bench
