#pragma once
// The one percentile rule of every figure certbench prints (results::percentile, here for the
// harness's callers): the value at rank floor(q * n) of the sorted samples (q = 0.5: the median).
#include <vector>

namespace certbench::harness {

double percentile(std::vector<double> samples, double q);

}  // namespace certbench::harness
