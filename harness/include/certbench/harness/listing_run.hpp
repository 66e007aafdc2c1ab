#pragma once
// The listing measurements of `certbench run`: every listing, every implementation, calls
// interleaved (naive, review, limited, naive, …) so that drift on a shared machine hits all
// alike, until a time budget or a call count is reached.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "certbench/core/listing.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/server_counts.hpp"

namespace certbench::harness {

struct ListingMeasurement {
  Listing listing;
  std::string impl;
  std::int64_t page = 1;              ///< the page measured (by offset, or the keyset page's number)
  bool keyset = false;                ///< reached through cursors rather than OFFSET
  std::vector<double> latencies_ms;  ///< one per measured call, in call order
  std::vector<double> cpu_ms;        ///< the thread's CPU time of each of those calls …
  std::vector<double> statement_cpu_ms;  ///< … of which inside the database wrapper's calls
  std::vector<double> decode_cpu_ms;  ///< … and decoding rows, where the implementation marks it (else empty)
  /// The server's execution and planning of each of those calls, where they were read around
  /// them (a slow subject, RoundsSpec::server_time); empty otherwise.
  std::vector<double> server_exec_ms;
  std::vector<double> server_plan_ms;
  double round_trips = 0;            ///< per call
  double rows_received = 0;          ///< per call
  double bytes_received = 0;         ///< per call
  /// Of each call metered after the rounds (harness/rounds.hpp): its peak heap (empty without
  /// jemalloc), its allocations and bytes allocated (empty unless exact, HeapMeter::exact()).
  std::vector<double> peak_heap_bytes;
  std::vector<double> allocations;
  std::vector<double> bytes_allocated;
  /// What the server counted per call (pg_stat_statements), from calls run alone after the rounds;
  /// std::nullopt when the server does not offer pg_stat_statements.
  std::optional<ServerCounts> server;
  double statements = 0;             ///< per call (round_trips counts waits: a pipeline is 1)
  /// With ListingRunSpec::count_index_scans: scans of each index of the dataset's schema during
  /// this subject's counted calls (pg_stat_user_indexes.idx_scan), by index name; indexes not
  /// scanned are absent.
  std::map<std::string, double> index_scans;
};

struct ListingRunSpec {
  std::string dsn;
  std::string schema;
  std::vector<Listing> listings{kListings.begin(), kListings.end()};
  PageRequest page{1, 20, std::nullopt};
  std::chrono::milliseconds budget_per_listing{3000};  ///< then stop after the current round
  unsigned max_rounds = 30;
  /// At least this many rounds (enough for an interval that means something) while a call costs
  /// under `slow_call`; a listing whose slowest warm-up call took longer gets `min_rounds_slow`.
  unsigned min_rounds = 9;
  unsigned min_rounds_slow = 6;  ///< the fewest paired rounds whose range is a 95% interval (sign test)
  std::chrono::milliseconds slow_call{1000};
  /// Calls of each subject run alone after the rounds for the server's counts: at least this many
  /// (as many as fit in about 0.1 s, up to ten times this), one when a call is slow; 0: none.
  unsigned server_calls = 3;
  /// A listing whose warm-up call took at least this long has the server's time read around each
  /// of its timed calls (RoundsSpec::server_time_from) when server_calls > 0.
  std::chrono::milliseconds server_in_rounds_from{5};
  /// Also count each index's scans around the server calls (at least one call per subject when
  /// set). Every session flushes its statistics first (pg_stat_force_next_flush, PostgreSQL 15),
  /// so a subject's window holds its own scans only — as long as nothing else reads the schema.
  bool count_index_scans = false;
  /// The implementations measured (in registry order whatever the order here); empty: all of
  /// listing_implementations().
  std::vector<std::string_view> implementations;
  /// How the sessions are opened (the tests' regressions come in here: harness::replacing).
  ListingOpener open = open_listing_session;
  /// After every call, untimed (RoundsSpec::heartbeat): e.g. a watchdog's kick.
  std::function<void()> heartbeat;
};

/// Measures every (listing, implementation) pair of spec.listings; `progress` hears which listing
/// is under way.
std::vector<ListingMeasurement> measure_listings(const ListingRunSpec& spec,
                                                 const std::function<void(std::string_view)>& progress = {});

/// The same on several datasets of the same data (the index scenario's copies, one per index set):
/// for each listing, every implementation on every schema in one set of interleaved rounds, so
/// that drift hits every schema alike. The user is the busiest owner of the first schema. Returns
/// the measurements per schema, in `schemas` order.
std::vector<std::vector<ListingMeasurement>> measure_listings_across(
    const ListingRunSpec& spec, const std::vector<std::string>& schemas,
    const std::function<void(std::string_view)>& progress = {});

/// Page depth: implementation `impl` of each of spec.listings at each of `pages`, by OFFSET and by
/// keyset (the cursor of page P found by walking the P-1 pages before it, untimed), all interleaved.
/// A page past the end of a listing is left out.
std::vector<ListingMeasurement> measure_page_depth(const ListingRunSpec& spec, std::string_view impl,
                                                   const std::vector<std::int64_t>& pages,
                                                   const std::function<void(std::string_view)>& progress = {});

}  // namespace certbench::harness
