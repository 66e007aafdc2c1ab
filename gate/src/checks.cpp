// What a check is about, and why a series of the baseline may be absent from the current run.
#include <algorithm>

#include "detail.hpp"

namespace certbench::gate::detail {

using results::Run;
using results::Series;

namespace {

std::string scale_words(const Series& s) {
  const auto scale = s.parameter("scale");
  return scale ? " at scale " + results::number_text(*scale) : "";
}

}  // namespace

Check check_of(const Series& s, int tier, std::string figure_name) {
  Check c;
  c.tier = tier;
  c.key = s.key();
  c.family = s.family;
  c.path = s.path;
  c.implementation = s.implementation;
  c.mode = s.mode;
  c.parameters = s.parameters;
  c.figure = std::move(figure_name);
  return c;
}

bool same_scale(const Series& a, const Series& b) { return a.parameter("scale") == b.parameter("scale"); }

// Why a series of the baseline is absent from the current run: not a regression when the policy
// allows it, the run stopped before it, or the run did not measure its family at that scale at
// all (a subset: run --only, no --full); otherwise it disappeared.
std::pair<Outcome, std::string> absence(const Series& b, const Run& current, bool measured_family_at_scale,
                                        const Settings& settings) {
  if (settings.allow_missing) return {Outcome::not_measured, "missing from the run; the policy allows it"};
  if (!current.complete)
    return {Outcome::not_measured, "the run stopped before it (" + current.failure + ")"};
  if (!measured_family_at_scale)
    return {Outcome::not_measured, "the run did not measure " + b.family + scale_words(b)};
  return {Outcome::regression, "missing from the current run: the path, implementation or parameters disappeared"};
}

bool family_measured(const Run& run, const Series& b) {
  return std::any_of(run.series.begin(), run.series.end(),
                     [&](const Series& s) { return s.family == b.family && same_scale(s, b); });
}

}  // namespace certbench::gate::detail
