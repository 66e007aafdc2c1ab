#include "certbench/results/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "analysis_parts.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/results/statistics.hpp"

namespace certbench::results {

namespace detail {

std::string_view comparable_family(std::string_view family) {
  return family == family::ceiling ? family::file_save : family;
}

// The naive series of `s`'s path: same family (the ceiling compares with the file save), path and
// parameters; the same mode, or none (a cache's hit and miss both compare with the database).
const Series* baseline_of(const Run& run, const Series& s, std::string_view baseline_impl,
                          std::string_view baseline_family, const std::map<std::string, double>& overrides) {
  auto wanted = s.parameters;
  for (const auto& [k, v] : overrides) wanted[k] = v;
  const Series* fallback = nullptr;
  for (const auto& b : run.series) {
    if (b.family != baseline_family || b.path != s.path || b.implementation != baseline_impl ||
        b.parameters != wanted)
      continue;
    if (b.mode == s.mode) return &b;
    if (b.mode.empty()) fallback = &b;
  }
  return fallback;
}

// The index scenario's families compare index sets, not implementations (index_deltas).
bool index_family(std::string_view f) {
  return f == family::indexes || f == family::index || f == family::index_writes;
}

}  // namespace detail

std::string subject_of(const Series& s) {
  std::string out = s.path;
  std::string params;
  for (const auto& [k, v] : s.parameters)
    if (k == "scale" || k == "concurrency" || k == "connections" || k == "capacity_share" || k == "uploads")
      params += (params.empty() ? "" : ", ") + k + " " + number_text(v);
  if (!s.mode.empty()) params += (params.empty() ? "" : ", ") + s.mode;
  return params.empty() ? out : out + " (" + params + ")";
}

std::vector<GrowthFit> fit_growth(const Run& run) {
  // Series that differ only in scale form one curve.
  std::map<std::string, std::vector<const Series*>> curves;
  for (const auto& s : run.series) {
    if (!s.parameter("scale")) continue;
    curves[s.curve()].push_back(&s);
  }
  std::vector<GrowthFit> out;
  for (auto& [key, curve] : curves) {
    if (curve.size() < 2) continue;
    std::sort(curve.begin(), curve.end(), [](const Series* a, const Series* b) { return a->parameter("scale") < b->parameter("scale"); });
    for (Metric metric : {Metric::latency, Metric::peak_heap}) {
      std::vector<std::span<const double>> samples;
      std::vector<double> x;
      for (const auto* s : curve) {
        const auto* v = s->samples_of(metric);
        if (v == nullptr || v->empty() || percentile(*v, 0.5) <= 0) break;
        samples.emplace_back(*v);
        x.push_back(std::log(*s->parameter("scale")));
      }
      if (samples.size() != curve.size()) continue;
      GrowthFit f;
      f.curve = key;
      f.family = curve.front()->family;
      f.path = curve.front()->path;
      f.implementation = curve.front()->implementation;
      f.metric = metric;
      for (const auto* s : curve) f.scales.push_back(*s->parameter("scale"));
      f.exponent = growth_exponent(x, samples, seed_of(key + std::string(name(metric))));
      out.push_back(std::move(f));
    }
  }
  return out;
}

void analyse(Run& run) {
  run.fits = fit_growth(run);
  run.deltas = compute_deltas(run);
  std::vector<Delta> extra;
  run.verdicts = judge(run, claims_table(), &extra);
  run.deltas.insert(run.deltas.end(), extra.begin(), extra.end());
  const auto sets = index_deltas(run);
  run.deltas.insert(run.deltas.end(), sets.begin(), sets.end());
  run.index_verdicts = judge_indexes(run);
}

}  // namespace certbench::results
