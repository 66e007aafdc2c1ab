#pragma once
// benchmarks.json: a Run in Google Benchmark's JSON format (context + benchmarks), so that Google
// Benchmark's own compare.py (Debian libbenchmark-tools) compares two certbench runs with its
// Mann-Whitney U test.
//
// Every series with latency samples becomes one benchmark named by its key: each sample an
// iteration run (repetition i; real_time = cpu_time = the sample, in ns; iterations = the batch),
// then the mean, median and stddev aggregates as Google Benchmark writes them. A load's series
// (event loop, threads) is reported by its throughput slices: real_time = the time per request of
// each slice. The series' values become counters (per call).
//
// Thread safety: a pure function.
#include <string>

#include "certbench/results/run.hpp"

namespace certbench::reports {

std::string to_benchmark_json(const results::Run& run);

}  // namespace certbench::reports
