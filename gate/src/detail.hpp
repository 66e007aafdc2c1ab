#pragma once
// The gate's internals shared between its source files, in certbench::gate::detail.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "certbench/gate/gate.hpp"

namespace certbench::gate::detail {

// ---- what a check is about (checks.cpp) ---------------------------------------------------------

/// A check of `figure_name` on series `s`, in `tier`, its outcome not set yet.
Check check_of(const results::Series& s, int tier, std::string figure_name);

bool same_scale(const results::Series& a, const results::Series& b);

/// Why a series of the baseline is absent from the current run (see checks.cpp).
std::pair<Outcome, std::string> absence(const results::Series& b, const results::Run& current,
                                        bool measured_family_at_scale, const Settings& settings);

/// Whether `run` measured the family of `b` at the scale of `b`.
bool family_measured(const results::Run& run, const results::Series& b);

// ---- server differences (server.cpp) ------------------------------------------------------------

/// What makes the server's own figures (buffers, plans) incomparable; "" when they compare.
std::string server_difference(const results::Environment& a, const results::Environment& b);

// ---- tier 1 (tier1.cpp, plans.cpp) --------------------------------------------------------------

/// A lower-is-better figure against its baseline within a tolerance.
void judge_count(Check& c, double before, double after, const Tolerance& t, bool bytes, std::string_view unit_words,
                 bool higher_better = false);

/// The tier-1 checks of the series' own figures (counts per call, peak heap).
void tier1_series(const results::Run& baseline, const results::Run& current, const Policy& policy,
                  const std::string& server_diff, std::vector<Check>& out);

/// The tier-1 checks of the runs' plans: shared buffers per call and plan shapes.
void tier1_plans(const results::Run& baseline, const results::Run& current, const Policy& policy,
                 const std::string& server_diff, std::vector<Check>& out);

// ---- tier 2 (tier2.cpp) -------------------------------------------------------------------------

/// The tier-2 checks of the speed-ups against naive the policy puts a floor on.
void tier2_speedups(const results::Run& baseline, const results::Run& current, const Policy& policy,
                    std::vector<Check>& out);

}  // namespace certbench::gate::detail
