// Baselines: a run as the baseline the gate judges later runs against.
#include "certbench/gate/gate.hpp"

namespace certbench::gate {

using results::Metric;
using results::Run;
using results::Series;

Run make_baseline(const Run& run, std::string_view origin, bool keep_samples) {
  if (!run.complete)
    throw InputError(std::string(origin) + " is an incomplete run (" + run.failure +
                     "): a baseline must be a complete run");
  Run out = run;
  std::erase_if(out.series, [](const Series& s) { return s.family == results::family::compare; });
  out.environment.builds.clear();
  if (!keep_samples)  // the gate reads a baseline's peak-heap samples only (tier 1's tolerance)
    for (auto& s : out.series) std::erase_if(s.samples, [](const auto& m) { return m.first != Metric::peak_heap; });
  return out;
}

}  // namespace certbench::gate
