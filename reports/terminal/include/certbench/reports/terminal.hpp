#pragma once
// The terminal sink: a Run as the tables a person reads after `certbench run` — every path family
// that was measured, the deltas with their 95% intervals, then the review's claims and certbench's
// goals judged, and the headline deltas. Reads only the results model.
//
// Thread safety: writes to `out`; one call at a time per stream.
#include <cstdio>

#include "certbench/results/run.hpp"

namespace certbench::reports {

struct PrintOptions {
  bool verdicts = true;  ///< the claims and goals table and the headline deltas
  /// Every family's tables in full; false: a few small tables, the implementations side by side
  /// (the full tables are in report.md).
  bool tables = true;
};

void print_run(const results::Run& run, std::FILE* out = stdout, const PrintOptions& options = {});

enum class VerdictDetail {
  each_subject,  ///< a row per subject judged, with its figure's 95% interval
  each_claim,    ///< a line per claim or goal: how many subjects got which verdict, and their figures' span
};

/// Only the claims and goals (also the end of print_run, each_claim unless it prints every table):
/// the verdicts on what was measured, then one line naming the ones this run had no figures for.
void print_verdicts(const results::Run& run, std::FILE* out = stdout,
                    VerdictDetail detail = VerdictDetail::each_subject);

}  // namespace certbench::reports
