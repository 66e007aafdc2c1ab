#pragma once
// The index scenario (issue #14; docs/indexes.md): the review's index recommendations judged on
// the run's data. For each index set (none, review, best), on a copy of the dataset that
// certbench owns (a schema seeded with the same scale and seed, index set none, by the caller):
//  - the set's secondary indexes are built one at a time: each CREATE INDEX timed, each size read
//    (pg_relation_size);
//  - every listing is measured per implementation (listing_run: interleaved rounds, the server's
//    counts — shared buffers per call —, and each index's idx_scan around each subject's counted
//    calls), and each statement's plan captured (plans: node types, indexes read);
//  - rows are inserted into every certificate table in transactions that are rolled back (the
//    write cost of the set), then the tables are vacuumed so that the next set reads what this one
//    did;
// and the set's indexes are dropped again. The copy is left with the primary keys, unique keys
// and foreign keys only (index set none, as its marker says); nothing outside it is touched, the
// run's own dataset included.
//
// Thread safety: runs on the calling thread with sessions of its own; nothing else may use the
// copy meanwhile (the idx_scan counts would take its scans for the listings').
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/fixtures/dataset.hpp"
#include "certbench/fixtures/indexes.hpp"
#include "certbench/harness/listing_run.hpp"
#include "certbench/results/run.hpp"

namespace certbench::harness {

struct IndexRunSpec {
  /// dsn and schema: the copy (a ready certbench dataset with index set none; refused otherwise),
  /// and how the listings are measured under each set (count_index_scans is set by the scenario).
  ListingRunSpec listing;
  std::vector<fixtures::IndexSet> sets{fixtures::IndexSet::none, fixtures::IndexSet::review, fixtures::IndexSet::best};
  std::int64_t insert_rows = 2000;    ///< rows per insert batch (fewer when a table has fewer)
  unsigned insert_repetitions = 5;    ///< batches per table and set: the insert rate's samples
};

struct IndexBuild {
  fixtures::IndexDefinition index;
  double seconds = 0;      ///< the CREATE INDEX, as the client timed it
  double size_bytes = 0;   ///< pg_relation_size after it
  /// Another measured set has an index of the same definition on the same table (best's
  /// templates index is the review's): for best, "the review recommends it too".
  bool in_other_set = false;
};

struct InsertMeasurement {
  std::string table;
  std::int64_t rows = 0;                  ///< per batch
  std::vector<double> rows_per_second;    ///< one per batch
};

struct IndexSetResult {
  fixtures::IndexSet set = fixtures::IndexSet::none;
  std::vector<IndexBuild> builds;
  std::vector<ListingMeasurement> listings;  ///< index_scans filled
  std::vector<results::Plan> plans;          ///< family indexes, mode the set
  std::vector<InsertMeasurement> inserts;
};

/// Measures every set of the spec on the copy. Throws UsageError when the copy is not a ready
/// certbench dataset of index set none, EnvironmentError when the server is older than
/// PostgreSQL 15 (pg_stat_force_next_flush), and what the measurements throw.
std::vector<IndexSetResult> measure_index_sets(const IndexRunSpec& spec, std::uint64_t scale,
                                               const std::function<void(std::string_view)>& progress = {});

}  // namespace certbench::harness
