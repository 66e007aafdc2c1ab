#pragma once
// The query plans behind the listing figures: after the measurement, each implementation of each
// listing makes one more call with its statements recorded (db::Connection::record_statements),
// and each distinct statement is run once more under EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) with
// that call's parameters, on the same session. Summarised as results::Plan: node types, indexes,
// sequential scans, rows, buffers, times.
//
// Thread safety: runs on the calling thread with sessions of its own.
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "certbench/harness/listing_run.hpp"
#include "certbench/results/run.hpp"

namespace certbench::harness {

/// Every implementation of each of spec.listings, at spec.page; `scale` goes into the parameters.
std::vector<results::Plan> capture_plans(const ListingRunSpec& spec, std::uint64_t scale,
                                         const std::function<void(std::string_view)>& progress = {});

/// One EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) document summarised into `plan` (nodes, indexes,
/// sequential scans, rows, buffers, times). Throws QueryError on a document it cannot read.
void summarise_explain(std::string_view explain_json, results::Plan& plan);

}  // namespace certbench::harness
