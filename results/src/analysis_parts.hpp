#pragma once
// What the parts of results::analyse (analysis.hpp) share: internal to results/src.
#include <map>
#include <string>
#include <string_view>

#include "certbench/results/run.hpp"

namespace certbench::results::detail {

/// The family a series compares with (the disk's ceiling with the file save).
std::string_view comparable_family(std::string_view family);
/// The `baseline_impl` series of `s`'s path in `baseline_family`: the same parameters (with
/// `overrides`), the same mode or none (a cache's hit and miss both compare with the database).
const Series* baseline_of(const Run& run, const Series& s, std::string_view baseline_impl,
                          std::string_view baseline_family, const std::map<std::string, double>& overrides = {});
/// The index scenario's families compare index sets, not implementations (index_deltas).
bool index_family(std::string_view f);
/// Whether `m`'s samples in `s` are correlated within a window (a load's every request and lag
/// sample): an interval from them would be far narrower than the data justify.
bool correlated(const Series& s, Metric m);

}  // namespace certbench::results::detail

namespace certbench::results {
using detail::baseline_of;
using detail::comparable_family;
using detail::correlated;
using detail::index_family;
}  // namespace certbench::results
