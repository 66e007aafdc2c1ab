#include "certbench/harness/percentile.hpp"

#include <algorithm>

namespace certbench::harness {

double percentile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * static_cast<double>(samples.size())))];
}

}  // namespace certbench::harness
