// Tier 2: each gated path's speed-up against naive in this run must keep its floor.
#include <algorithm>
#include <map>
#include <tuple>

#include "certbench/results/format.hpp"
#include "detail.hpp"

namespace certbench::gate::detail {

using results::Run;
using results::Series;

namespace {

bool at_run_scale(const Series& s, const Run& run) {
  const auto scale = s.parameter("scale");
  return !scale || *scale == static_cast<double>(run.environment.dataset_scale);
}

struct Gated {
  const Series* series = nullptr;  ///< in the run the delta came from
  const results::Delta* delta = nullptr;
  double floor = 0;
};

// The deltas against naive the policy puts a floor on, by "other key|metric".
std::map<std::string, Gated> gated_deltas(const Run& run, const Policy& policy) {
  std::map<std::string, Gated> out;
  for (const auto& d : run.deltas) {
    const auto* s = run.find(d.other_key);
    const auto* b = run.find(d.baseline_key);
    if (s == nullptr || b == nullptr || b->implementation != "naive" || !at_run_scale(*s, run)) continue;
    const auto settings = policy.settings_for(*s);
    const auto floor = settings.speedup_floor.find(d.metric);
    if (floor == settings.speedup_floor.end()) continue;
    out.try_emplace(d.other_key + "|" + std::string(results::name(d.metric)), Gated{s, &d, floor->second});
  }
  return out;
}

Figure speedup_figure(const results::Delta& d) {
  Figure f;
  f.value = d.factor.estimate;
  f.interval = d.factor;
  f.text = results::ratio_text(d.factor, d.method) + (d.method == results::method::exact ? " (exact)" : "");
  return f;
}

}  // namespace

void tier2_speedups(const Run& baseline, const Run& current, const Policy& policy, std::vector<Check>& out) {
  const auto now = gated_deltas(current, policy);
  const auto before = gated_deltas(baseline, policy);
  std::vector<std::string> keys;
  for (const auto& [k, g] : now) keys.push_back(k);
  for (const auto& [k, g] : before)
    if (!now.count(k)) keys.push_back(k);
  // In the current run's series order, then the baseline's.
  const auto order = [](const Run& run, const std::string& key) -> std::size_t {
    const auto other = key.substr(0, key.rfind('|'));
    for (std::size_t i = 0; i < run.series.size(); ++i)
      if (run.series[i].key() == other) return i;
    return run.series.size();
  };
  std::stable_sort(keys.begin(), keys.end(), [&](const std::string& l, const std::string& r) {
    return std::pair(order(current, l), order(baseline, l)) < std::pair(order(current, r), order(baseline, r));
  });
  for (const auto& key : keys) {
    const auto metric_name = key.substr(key.rfind('|') + 1);
    const auto n = now.find(key);
    const auto b = before.find(key);
    const Gated& g = n != now.end() ? n->second : b->second;
    auto check = check_of(*g.series, 2, "speedup:" + metric_name);
    check.limit = ">= " + results::factor(g.floor) + " (the interval's low end)";
    if (b != before.end()) check.baseline = speedup_figure(*b->second.delta);
    else check.baseline.text = "-";
    if (n == now.end()) {
      const auto* s = current.find(g.series->key());
      check.current.text = "absent";
      if (s != nullptr) {
        check.outcome = Outcome::inconclusive;
        check.detail = "the run has no " + metric_name + " speed-up for it (a median of 0?)";
      } else {
        std::tie(check.outcome, check.detail) =
            absence(*g.series, current, family_measured(current, *g.series), policy.settings_for(*g.series));
      }
      out.push_back(std::move(check));
      continue;
    }
    const auto& d = *g.delta;
    check.current = speedup_figure(d);
    const auto samples = std::min(d.baseline_n, d.other_n);
    const std::string what = metric_name + " speed-up " + check.current.text;
    if (d.method != results::method::exact && samples < 2) {
      check.outcome = Outcome::inconclusive;
      check.detail = what + " rests on one sample: no interval";
    } else if (d.factor.low >= g.floor) {
      check.outcome = Outcome::pass;
    } else if (d.factor.high < g.floor) {
      check.outcome = Outcome::regression;
      check.detail = what + " is below the floor " + results::factor(g.floor);
    } else {
      check.outcome = Outcome::inconclusive;
      check.detail = what + " straddles the floor " + results::factor(g.floor);
    }
    out.push_back(std::move(check));
  }
}

}  // namespace certbench::gate::detail
