#pragma once
// The query plans behind the listing figures: after the measurement, each implementation of each
// listing makes one more call with its statements captured (db::Connection::capture_statements),
// and each distinct statement is run once more under EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) with
// that call's parameters, on the same session. Summarised as results::Plan: node types, indexes,
// sequential scans, rows, buffers, times.
//
// Thread safety: runs on the calling thread with sessions of its own.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/listing_run.hpp"
#include "certbench/results/run.hpp"

namespace certbench::harness {

/// The statements one call of `listing` ran on `session` (recorded by the database wrapper), each
/// distinct SQL once in the order first run, with every execution's parameters: an N+1's lookups
/// are one entry with many executions. What both the run's plans and `certbench profile` explain.
struct CallStatement {
  std::string sql;
  std::vector<std::vector<db::Param>> executions;
};
std::vector<CallStatement> statements_of_one_call(ListingSession& session, Listing listing, std::int64_t user,
                                                  const PageRequest& page);

/// Every implementation of each of spec.listings, at spec.page; `scale` goes into the parameters.
std::vector<results::Plan> capture_plans(const ListingRunSpec& spec, std::uint64_t scale,
                                         const std::function<void(std::string_view)>& progress = {});

/// One EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) document summarised into `plan` (nodes, indexes,
/// sequential scans, rows, buffers, times). Throws QueryError on a document it cannot read.
void summarise_explain(std::string_view explain_json, results::Plan& plan);

}  // namespace certbench::harness
