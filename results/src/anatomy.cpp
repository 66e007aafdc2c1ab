#include "certbench/results/anatomy.hpp"

#include "certbench/results/statistics.hpp"

namespace certbench::results {

std::optional<double> Anatomy::sum_share() const {
  if (!waiting || latency <= 0) return std::nullopt;
  return (client_cpu + planning.value_or(0) + execution.value_or(0) + *waiting) / latency;
}

std::optional<Anatomy> anatomy_of(const Series& s) {
  const auto* latency = s.samples_of(Metric::latency);
  const auto* cpu = s.samples_of(Metric::client_cpu);
  if (latency == nullptr || cpu == nullptr || latency->empty() || cpu->empty()) return std::nullopt;
  Anatomy a;
  a.latency = percentile(*latency, 0.5);
  a.client_cpu = percentile(*cpu, 0.5);
  if (const auto* st = s.samples_of(Metric::statement_cpu); st != nullptr && !st->empty())
    a.statement_cpu = percentile(*st, 0.5);
  a.planning = s.value(Metric::server_planning);
  a.execution = s.value(Metric::server_execution);
  a.waiting = s.value(Metric::waiting);
  return a;
}

std::vector<SeriesAnatomy> anatomies_of(const Run& run) {
  std::vector<SeriesAnatomy> out;
  for (auto f : {family::listing, family::caching, family::derived})
    for (const auto* s : run.of_family(f)) {
      if (s->parameter("scale") != static_cast<double>(run.environment.dataset_scale)) continue;
      if (auto a = anatomy_of(*s)) {
        auto trips = s->value(Metric::round_trips);
        if (!trips) trips = s->value(Metric::db_round_trips);
        out.push_back({s, *a, trips});
      }
    }
  return out;
}

}  // namespace certbench::results
