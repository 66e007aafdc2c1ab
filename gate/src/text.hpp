#pragma once
// A plan's node types as the gate prints them (its numbers go through results/format, as every
// text certbench prints does).
#include <string>
#include <vector>

namespace certbench::gate::text {

/// A plan's node types, repeats folded: "Limit, Incremental Sort, Merge Append, 5x(Limit, Index Scan)".
std::string nodes(const std::vector<std::string>& nodes);

}  // namespace certbench::gate::text
