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
  if (!keep_samples)
    for (auto& s : out.series)
      for (Metric m : {Metric::latency, Metric::event_loop_lag, Metric::event_loop_lag_p99, Metric::throughput,
                       Metric::latency_p50, Metric::latency_p90, Metric::latency_p99, Metric::latency_p999})
        s.samples.erase(m);
  return out;
}

}  // namespace certbench::gate
