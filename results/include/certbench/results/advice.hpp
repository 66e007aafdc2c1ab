#pragma once
// Which of the review's two fixes for the N+1 a team should take, decided from one run's figures:
// the one statement ("limited": the kinds' index-ordered branches in one UNION ALL) or the
// per-kind statements executed in parallel ("pipelined": in one libpq pipeline on the session;
// "parallel": over several sessions at once). The terminal and the report print the same advice.
//
// Thread safety: pure functions over values.
#include <optional>
#include <string>
#include <vector>

#include "certbench/results/run.hpp"

namespace certbench::results {

/// One candidate fix on one listing path, as the run measured it.
struct FixOption {
  std::string implementation;  ///< "limited", "pipelined" or "parallel"
  double latency = 0;          ///< median seconds per call, one call at a time (family listing)
  std::optional<double> statements, round_trips, rows_received;  ///< per call
  std::optional<double> throughput;  ///< calls/s on the event loop at FixAdvice::concurrency (the window's)
  /// Against the one statement ("limited"), times better with its 95% interval (> 1: this one
  /// is faster); absent for "limited" itself and where a side was not measured.
  std::optional<Interval> latency_factor, throughput_factor;
  std::string latency_method, throughput_method;  ///< how each interval was made (method::*)
  /// Whether each factor may decide: both sides have at least 5 samples (the loop's throughput
  /// has one per repetition, 3 by default: shown, not decisive).
  bool latency_decisive = false, throughput_decisive = false;
};

/// The advice for one listing path at the run's dataset scale.
struct FixAdvice {
  std::string path;
  double page_size = 0;
  double concurrency = 0;  ///< the event loop's highest concurrency measured (0: the loop was not run)
  std::string chosen;      ///< the implementation a team should take
  std::string reason;      ///< why, in one sentence built from the figures
  std::vector<FixOption> options;  ///< "limited" first, then the per-kind fixes measured
};

/// The rule (docs/listing.md): a per-kind fix is chosen over the one statement only when the run
/// shows it faster with confidence — the 95% interval of its latency or of its throughput at the
/// loop's highest concurrency lies above 1x — and slower with confidence on neither; a factor
/// decides only with at least 5 samples a side. Among several, the one with the larger throughput
/// factor when every candidate has a decisive one, else the larger latency factor. The
/// one statement is the default: it sends one statement and receives only the page's rows.
/// One entry per listing path measured with "limited" and at least one per-kind fix at the
/// run's dataset scale; empty otherwise.
std::vector<FixAdvice> advise_listing_fix(const Run& run);

}  // namespace certbench::results
