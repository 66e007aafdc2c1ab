#pragma once
// The gate's figures as text (the gate reads only the results model, so it formats its own
// numbers rather than borrow the report sinks').
#include <string>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::gate::text {

/// 1234567 -> "1,234,567"; fractions with up to 3 decimals ("2.5").
std::string count(double v);
/// "512 B", "17.6 KiB", "1.63 MiB".
std::string bytes(double v);
/// "37 ns", "12.4 us", "1.23 ms", "2.41 s".
std::string seconds(double v);
/// "412x", "12.6x", "1.25x"; the largest double (no finite bound) as "unbounded".
std::string factor(double f);
/// "12.6x [9.78x, 15.1x]".
std::string interval(const results::Interval& i);
/// "1.31x (range 0.92x to 1.87x)": the smallest and largest ratio, too few samples for 95%.
std::string range(const results::Interval& i);
/// A plan's node types, repeats folded: "Limit, Incremental Sort, Merge Append, 5x(Limit, Index Scan)".
std::string nodes(const std::vector<std::string>& nodes);

}  // namespace certbench::gate::text
