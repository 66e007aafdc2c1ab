#pragma once
// Numbers as people read them: one style for every text certbench prints or writes (the terminal,
// the report, the gate's verdicts, the claims' and advice's sentences in results.json). Keys and
// labels that must read back exactly use number_text (run.hpp) instead.
#include <cstdint>
#include <functional>
#include <string>

#include "certbench/results/run.hpp"

namespace certbench::results {

/// 1234567 -> "1,234,567".
std::string thousands(std::uint64_t n);
/// A count that may have a fraction: 1234567 -> "1,234,567", 2.5 -> "2.5" (up to 3 decimals).
std::string count(double v);
/// A count rounded to a whole number: 1234.4 -> "1,234".
std::string whole(double v);
/// Bytes in decimal megabytes, e.g. "812.3 MB" (MB = 10^6 bytes, as throughput is reported).
std::string megabytes(std::uint64_t bytes);
/// B below a kilobyte, kB below a megabyte, MB above (decimal units, as throughput is reported).
std::string human_bytes(double bytes);
/// Seconds as "37 ns", "12.4 us", "1.23 ms", "812 ms", "2.41 s".
std::string duration(double seconds);
/// A factor: "412x", "2.31x", "0.873x".
std::string factor(double f);
/// A fraction as a percentage: 0.8823 -> "88.2%" (`decimals` after the point).
std::string percent(double fraction, int decimals = 1);
/// A growth exponent (cost ~ n^k): "1.02".
std::string exponent(double k);
/// A figure with its 95% interval, each number written by `one`: "1.02 (0.98 to 1.05)".
std::string interval_text(const Interval& i, const std::function<std::string(double)>& one);
/// A factor with its interval, made by `method` (method::*): "41.3x (37.0x to 43.8x)";
/// exact: the factor alone;
/// a range labelled as one, "1.31x (range 0.92x to 1.87x)"; an exact count's alone.
std::string ratio_text(const Interval& factor, std::string_view method);
/// ratio_text of a delta.
std::string delta_text(const Delta& d);
/// `x` in a verdict's unit: "97.6%", "1.71x", "44 ns".
std::string verdict_value(const Verdict& v, double x);
/// A verdict's measured figure in its unit, with its interval: "97.6% (97.3% to 97.7%)", "44 ns
/// (exact)", "1.71x (1 sample: no interval)", or "not measured".
std::string verdict_figure(const Verdict& v);

}  // namespace certbench::results
