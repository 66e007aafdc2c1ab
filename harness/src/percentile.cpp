#include "certbench/harness/percentile.hpp"

#include "certbench/results/statistics.hpp"

namespace certbench::harness {

double percentile(std::vector<double> samples, double q) { return results::percentile(samples, q); }

}  // namespace certbench::harness
