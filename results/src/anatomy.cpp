#include "certbench/results/anatomy.hpp"

#include <algorithm>
#include <numeric>

namespace certbench::results {

std::optional<Anatomy> anatomy_of(const Series& s) {
  const auto* latency = s.samples_of(Metric::latency);
  const auto* cpu = s.samples_of(Metric::client_cpu);
  if (latency == nullptr || cpu == nullptr || latency->empty() || cpu->size() != latency->size()) return std::nullopt;
  // The median call: the sample percentile() reports, at rank n/2 of the latencies in order.
  std::vector<std::size_t> order(latency->size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto middle = order.begin() + static_cast<std::ptrdiff_t>(order.size() / 2);
  std::nth_element(order.begin(), middle, order.end(),
                   [&](std::size_t a, std::size_t b) { return (*latency)[a] < (*latency)[b]; });
  const std::size_t call = *middle;
  Anatomy a;
  a.latency = (*latency)[call];
  a.client_cpu = (*cpu)[call];
  const auto* st = s.samples_of(Metric::statement_cpu);
  if (st != nullptr && st->size() == latency->size()) a.statement_cpu = (*st)[call];
  if (const auto* d = s.samples_of(Metric::decode_cpu); d != nullptr && d->size() == latency->size())
    a.decode_cpu = (*d)[call];  // its span lies within the call's CPU, outside the statements'
  a.planning = s.value(Metric::server_planning);
  a.execution = s.value(Metric::server_execution);
  if (st == nullptr) {  // no statement sent: the server has no part, the time off the CPU is waiting
    a.waiting = std::max(0.0, a.latency - a.client_cpu);
  } else if (a.planning && a.execution) {
    // What the call spent neither on its thread's CPU nor in the server; below zero, the server's
    // time overlapped itself (sessions at once) and is no part of the wall time.
    if (const double rest = a.latency - a.client_cpu - *a.planning - *a.execution; rest >= 0) a.waiting = rest;
  }
  return a;
}

std::optional<RequestAnatomy> request_anatomy_of(const Series& s) {
  const auto* server = s.samples_of(Metric::server_time);
  if (server == nullptr || server->empty()) return std::nullopt;
  const std::size_t n = server->size();
  auto part = [&](Metric m) -> const std::vector<double>* {
    const auto* v = s.samples_of(m);
    return v != nullptr && v->size() == n ? v : nullptr;
  };
  const auto* queue = part(Metric::pool_wait);
  const auto* cpu = part(Metric::client_cpu);
  const auto* libpq = part(Metric::statement_cpu);
  if (queue == nullptr || cpu == nullptr || libpq == nullptr) return std::nullopt;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  const auto middle = order.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(order.begin(), middle, order.end(), [&](std::size_t a, std::size_t b) { return (*server)[a] < (*server)[b]; });
  const std::size_t w = *middle;
  RequestAnatomy a;
  a.server_time = (*server)[w];
  a.queue = (*queue)[w];
  a.client_cpu = (*cpu)[w];
  a.statement_cpu = (*libpq)[w];
  auto optional_part = [&](Metric m) -> std::optional<double> {
    const auto* v = part(m);
    return v != nullptr ? std::optional((*v)[w]) : std::nullopt;
  };
  a.decode_cpu = optional_part(Metric::decode_cpu);
  a.planning = optional_part(Metric::server_planning);
  a.execution = optional_part(Metric::server_execution);
  a.waiting = optional_part(Metric::waiting);
  a.resident_bytes = optional_part(Metric::resident_bytes);
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
