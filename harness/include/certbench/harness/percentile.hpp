#pragma once
// The one percentile rule of every figure certbench prints: the value at rank floor(q * n) of the
// sorted samples (q = 0.5: the median; 0 for no samples).
#include <vector>

namespace certbench::harness {

double percentile(std::vector<double> samples, double q);

}  // namespace certbench::harness
