#include "certbench/reports/gbench.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>

#include "certbench/results/statistics.hpp"

namespace certbench::reports {
namespace {

using nlohmann::json;
using results::Metric;

// Nanoseconds per iteration of each repetition.
std::vector<double> repetitions_ns(const results::Series& s) {
  std::vector<double> out;
  if (const auto* tp = s.samples_of(Metric::throughput); tp != nullptr && !tp->empty()) {
    for (double per_second : *tp)
      if (per_second > 0) out.push_back(1e9 / per_second);
    return out;
  }
  if (const auto* lat = s.samples_of(Metric::latency))
    for (double seconds : *lat) out.push_back(seconds * 1e9);
  return out;
}

}  // namespace

std::string to_benchmark_json(const results::Run& run) {
  const auto& e = run.environment;
  // Only what certbench knows: no CPU frequency, scaling or cache figures are made up. cpu_time is
  // wall time (certbench does not measure CPU time per call); compare.py compares both columns alike.
  json context = {{"date", e.started_utc},
                  {"host_name", e.host},
                  {"executable", "certbench"},
                  {"num_cpus", e.cores},
                  {"certbench_version", e.certbench_version},
                  {"certbench_commit", e.git_commit},
                  {"certbench_commit_dirty", e.git_dirty},
                  {"postgres_version", e.postgres_version},
                  {"dataset", e.dataset_fingerprint},
                  {"complete", run.complete}};
  json benchmarks = json::array();
  int family_index = 0;
  for (const auto& s : run.series) {
    const auto reps = repetitions_ns(s);
    if (reps.empty()) continue;
    const std::string name = s.key();
    json counters = json::object();
    for (const auto& [m, v] : s.values)
      if (m != Metric::batch) counters[std::string(results::name(m))] = v;
    const auto iterations = static_cast<std::int64_t>(s.value(Metric::batch).value_or(1));
    auto entry = [&](const std::string& entry_name, double ns) {
      json j = {{"name", entry_name},
                {"family_index", family_index},
                {"per_family_instance_index", 0},
                {"run_name", name},
                {"repetitions", reps.size()},
                {"threads", 1},
                {"iterations", iterations},
                {"real_time", ns},
                {"cpu_time", ns},
                {"time_unit", "ns"}};
      j.update(counters);
      return j;
    };
    for (std::size_t i = 0; i < reps.size(); ++i) {
      auto j = entry(name, reps[i]);
      j["run_type"] = "iteration";
      j["repetition_index"] = i;
      benchmarks.push_back(std::move(j));
    }
    const double n = static_cast<double>(reps.size());
    const double mean = std::accumulate(reps.begin(), reps.end(), 0.0) / n;
    double var = 0;
    for (double r : reps) var += (r - mean) * (r - mean);
    const double stddev = reps.size() > 1 ? std::sqrt(var / (n - 1)) : 0;
    for (const auto& [aggregate, value] : {std::pair<std::string, double>{"mean", mean},
                                           {"median", results::percentile(reps, 0.5)},
                                           {"stddev", stddev}}) {
      auto j = entry(name + "_" + aggregate, value);
      j["run_type"] = "aggregate";
      j["aggregate_name"] = aggregate;
      j["aggregate_unit"] = "time";
      benchmarks.push_back(std::move(j));
    }
    ++family_index;
  }
  return json{{"context", context}, {"benchmarks", benchmarks}}.dump() + "\n";  // compact: it is for tools
}

}  // namespace certbench::reports
