#pragma once
// The anatomy of a call: where its time went, from a series' own figures. The parts are the
// calling thread's own CPU (client_cpu: outside the database wrapper's calls — decoding, sorting,
// building the result; the median of its samples), the server's planning and execution per call
// (pg_stat_statements), and waiting (the median time outside the client's own CPU less the
// server's time: round trips, libpq, the kernel, scheduling). A part that was not measured is absent,
// never estimated; a series whose calls send no statement has no server part at all.
//
// Thread safety: pure functions over values.
#include <optional>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::results {

struct Anatomy {
  double latency = 0;                  ///< seconds: the median call
  double client_cpu = 0;               ///< seconds: the median call's thread CPU outside the database wrapper
  /// seconds: the median call's thread CPU inside the database wrapper (libpq), which overlaps the
  /// server's work and lies within waiting; absent for a path that sends no statement.
  std::optional<double> statement_cpu;
  std::optional<double> planning;      ///< seconds per call; absent when not measured or no server part
  std::optional<double> execution;     ///< seconds per call; absent when not measured or no server part
  std::optional<double> waiting;       ///< seconds per call; absent when it cannot be told apart
  /// The parts' sum over the median latency, when every part is known (1 = they add up exactly).
  [[nodiscard]] std::optional<double> sum_share() const;
  /// The server spent longer planning than executing the call's statements.
  [[nodiscard]] bool planning_dominates() const { return planning && execution && *planning > *execution; }
};

/// The anatomy of `s`; std::nullopt when it has no client_cpu samples beside its latency's.
std::optional<Anatomy> anatomy_of(const Series& s);

/// A series' anatomy, with the round trips beside it (the listings' round_trips, a cache
/// variant's db_round_trips; absent for a path with neither).
struct SeriesAnatomy {
  const Series* series = nullptr;
  Anatomy anatomy;
  std::optional<double> round_trips;
};

/// Every listing, caching and derived series at the run's own dataset scale that has an anatomy,
/// in run order: what the terminal and the report show.
std::vector<SeriesAnatomy> anatomies_of(const Run& run);

}  // namespace certbench::results
