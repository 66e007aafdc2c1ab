#pragma once
// The anatomy of a call: where the median call's time went, from a series' own figures. The parts
// are that call's thread CPU outside the database wrapper's calls (client_cpu: decoding, sorting,
// building the result), the server's planning and execution per call (pg_stat_statements: the
// median of the per-call readings where they were read around the timed calls, else per call over
// calls run alone), and waiting, the rest of that call's latency: round trips, libpq, the kernel,
// scheduling. So the parts add up to the median call exactly wherever waiting is known. A part that
// was not measured is absent, never estimated; a series whose calls send no statement has no
// server part at all.
//
// Thread safety: pure functions over values.
#include <optional>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::results {

struct Anatomy {
  double latency = 0;                  ///< seconds: the median call (the series' median latency)
  double client_cpu = 0;               ///< seconds: that call's thread CPU outside the database wrapper
  /// seconds: the median call's thread CPU inside the database wrapper (libpq), which overlaps the
  /// server's work and lies within waiting; absent for a path that sends no statement.
  std::optional<double> statement_cpu;
  /// seconds: the part of client_cpu that call spent decoding rows; absent where the
  /// implementation does not mark its decoding. client_cpu less it is sorting, merging, building.
  std::optional<double> decode_cpu;
  std::optional<double> planning;      ///< seconds per call; absent when not measured or no server part
  std::optional<double> execution;     ///< seconds per call; absent when not measured or no server part
  /// seconds: the rest of the call; absent when a server part is unknown, or the server's time
  /// exceeds the call's time off its thread's CPU (sessions working at once)
  std::optional<double> waiting;
  /// The server spent longer planning than executing the call's statements.
  [[nodiscard]] bool planning_dominates() const { return planning && execution && *planning > *execution; }
};

/// The anatomy of `s`'s median call; std::nullopt unless it has a client_cpu sample for every
/// latency sample.
std::optional<Anatomy> anatomy_of(const Series& s);

/// Where an HTTP request's time went in the server (family http, closed loop): the mean request of
/// the window whose mean server time is the median, split as its answers' Server-Timing sums and
/// the database server's time (pg_stat_statements) over that window split it:
/// queue + client_cpu + planning + execution + waiting = server_time wherever waiting is known.
struct RequestAnatomy {
  double server_time = 0;              ///< seconds: queued, then the listing and its JSON
  double queue = 0;                    ///< seconds waiting for a worker and a session
  double client_cpu = 0;               ///< seconds of the worker's CPU outside libpq (JSON included)
  double statement_cpu = 0;            ///< seconds of the worker's CPU inside libpq (within waiting)
  std::optional<double> decode_cpu;    ///< of client_cpu, decoding rows (where marked)
  std::optional<double> planning;      ///< the database server's, per request
  std::optional<double> execution;
  std::optional<double> waiting;       ///< the rest; absent when the database's time is not known
  std::optional<double> resident_bytes;  ///< the serving process's, after that window
};

/// The request anatomy of an http closed-loop series; std::nullopt unless it has the server's
/// sums for every window.
std::optional<RequestAnatomy> request_anatomy_of(const Series& s);

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
