#pragma once
// The index scenario (docs/indexes.md): the review's index recommendations judged on
// the run's data. Each index set (none, review, best) gets a copy of the dataset that certbench
// owns (a schema seeded by the caller with the same scale and seed, index set none):
//  - the set's secondary indexes are built in its copy one at a time: each CREATE INDEX timed,
//    each size read (pg_relation_size);
//  - every listing is measured per implementation on every copy in one set of interleaved rounds
//    (listing_run: drift hits every set alike), with the server's counts — shared buffers per
//    call — and each index's idx_scan around each subject's counted calls; each statement's plan
//    is captured (plans: node types, indexes read);
//  - rows are inserted into every certificate table of every copy, the copies interleaved, in
//    transactions that are rolled back (the write cost of the set); then the tables are vacuumed;
// and the sets' indexes are dropped again. Each copy is left with its primary, unique and foreign
// keys only (index set none, as its marker says); nothing outside the copies is touched, the run's
// own dataset included.
//
// Thread safety: runs on the calling thread with sessions of its own; nothing else may use the
// copies meanwhile (the idx_scan counts would take its scans for the listings').
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

/// The copy of the dataset in `schema` that the index scenario uses for `set`: "<schema>_ix_<set>".
std::string index_copy_schema(std::string_view schema, fixtures::IndexSet set);

struct IndexCopy {
  fixtures::IndexSet set = fixtures::IndexSet::none;
  std::string schema;  ///< a ready certbench dataset with index set none (refused otherwise)
};

struct IndexRunSpec {
  /// dsn, and how the listings are measured (schema unused: the copies'; count_index_scans is set
  /// by the scenario). The budget per listing covers every copy's implementations.
  ListingRunSpec listing;
  std::vector<IndexCopy> copies;  ///< one per set, all of the same data
  std::int64_t insert_rows = 2000;    ///< rows per insert batch (fewer when a table has fewer)
  unsigned insert_repetitions = 5;    ///< batches per table and set: the insert rate's samples

  /// The spec of `certbench run`'s index scenario: `listing`'s calls with a budget of 3 s per
  /// listing (every set's implementations interleaved in it), on the copies of `schema` with the
  /// sets none, review and best (index_copy_schema).
  static IndexRunSpec of_run(const ListingRunSpec& listing, std::string_view schema);
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

/// Measures every set of the spec on its copy. Throws UsageError when a copy is not a ready
/// certbench dataset of index set none, EnvironmentError when the server is older than
/// PostgreSQL 15 (pg_stat_force_next_flush), and what the measurements throw.
std::vector<IndexSetResult> measure_index_sets(const IndexRunSpec& spec, std::uint64_t scale,
                                               const std::function<void(std::string_view)>& progress = {});

}  // namespace certbench::harness
