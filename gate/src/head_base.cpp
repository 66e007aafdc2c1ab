// Head/base: two builds measured interleaved in one run, judged on their timing per path.
#include <cstdio>
#include <stdexcept>

#include "certbench/results/analysis.hpp"
#include "certbench/results/format.hpp"
#include "detail.hpp"

namespace certbench::gate {

using results::Metric;
using results::Run;
using results::Series;

std::vector<Check> head_base_checks(const Run& run, const Policy& policy) {
  std::vector<std::pair<const Series*, const Series*>> pairs;
  for (const auto& head : run.series) {
    if (head.family != results::family::compare || head.mode != "head") continue;
    Series base_of = head;
    base_of.mode = "base";
    if (const auto* base = run.find(base_of.key())) pairs.emplace_back(base, &head);
  }
  if (pairs.empty()) return {};
  return judge_head_base(pairs, policy);
}

std::vector<TimingJudgement> judge_timings(std::span<const TimingInput> inputs) {
  std::vector<TimingJudgement> out;
  std::vector<double> p;
  for (const auto& in : inputs) {
    if (in.base.empty() || in.head.empty()) throw std::invalid_argument("judge_timings: " + in.key + " has no samples");
    TimingJudgement j;
    j.key = in.key;
    j.base_median = results::percentile(in.base, 0.5);
    j.head_median = results::percentile(in.head, 0.5);
    const bool paired = in.paired && in.base.size() == in.head.size();
    const bool higher = in.better == results::Better::higher;
    const auto r = results::ratio_interval(higher ? in.base : in.head, higher ? in.head : in.base, paired,
                                           "head_base|" + in.key);
    j.slowdown = r.factor;
    j.method = r.method;
    j.test = results::mann_whitney_u(in.head, in.base);
    p.push_back(j.test.p);
    out.push_back(std::move(j));
  }
  const auto adjusted = results::holm_adjust(p);
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto& j = out[i];
    const auto& in = inputs[i];
    const auto& t = in.timing;
    j.p_adjusted = adjusted[i];
    const bool higher = in.better == results::Better::higher;
    const double worse_by = higher ? j.base_median - j.head_median : j.head_median - j.base_median;
    const double worst_plausible = higher ? j.base_median * (1 - 1 / j.slowdown.high) : j.base_median * (j.slowdown.high - 1);
    const bool rejects = j.p_adjusted < t.alpha;
    const bool range = j.method == results::method::range;
    const auto ratio_text = "head/base " + results::ratio_text(j.slowdown, j.method);
    char p_text[64];
    std::snprintf(p_text, sizeof p_text, "p = %.3g after Holm", j.p_adjusted);
    if (range) {
      j.outcome = Outcome::inconclusive;
      j.detail = ratio_text + ": too few samples for a 95% interval";
    } else if (rejects && j.slowdown.low > t.threshold && worse_by > t.absolute_floor) {
      j.outcome = Outcome::regression;
      j.detail = ratio_text + " above " + results::factor(t.threshold) + ", " + p_text;
    } else if (rejects && j.slowdown.high < 1) {
      j.outcome = Outcome::improved;
      j.detail = ratio_text + ", " + p_text;
    } else if (j.slowdown.high <= t.threshold) {
      j.outcome = Outcome::pass;
    } else if (worst_plausible <= t.absolute_floor || (rejects && j.slowdown.low > t.threshold)) {
      j.outcome = Outcome::pass;
      j.detail = "slower by less than the absolute floor";
    } else {
      j.outcome = Outcome::inconclusive;
      j.detail = ratio_text + (rejects ? " straddles " + results::factor(t.threshold)
                                       : std::string(": the test does not reject (") + p_text + ")");
    }
  }
  return out;
}

std::vector<Check> judge_head_base(std::span<const std::pair<const Series*, const Series*>> pairs, const Policy& policy,
                                   Metric metric) {
  std::vector<Check> out;
  std::vector<TimingInput> inputs;
  std::vector<std::size_t> judged;  // index into out of each input
  const auto metric_name = std::string(results::name(metric));
  const bool seconds = results::info(metric).unit == "seconds";
  for (const auto& [base, head] : pairs) {
    auto check = detail::check_of(*head, 2, "head_base:" + metric_name);
    const auto* bs = base->samples_of(metric);
    const auto* hs = head->samples_of(metric);
    const auto settings = policy.settings_for(*head);
    check.limit = "head/base <= " + results::factor(settings.timing.threshold) + " or within " +
                  (seconds ? results::duration(settings.timing.absolute_floor) : results::count(settings.timing.absolute_floor));
    if (bs == nullptr || hs == nullptr || bs->empty() || hs->empty()) {
      check.outcome = Outcome::not_measured;
      check.detail = "no " + metric_name + " samples on " + (bs == nullptr || bs->empty() ? "base" : "head");
      out.push_back(std::move(check));
      continue;
    }
    TimingInput in;
    in.key = head->key();
    in.base = *bs;
    in.head = *hs;
    in.paired = results::interleaved(head->family) && base->family == head->family && bs->size() == hs->size();
    in.better = results::info(metric).better;
    in.timing = settings.timing;
    inputs.push_back(in);
    judged.push_back(out.size());
    out.push_back(std::move(check));
  }
  const auto judgements = judge_timings(inputs);
  for (std::size_t i = 0; i < judgements.size(); ++i) {
    auto& check = out[judged[i]];
    const auto& j = judgements[i];
    const auto show = [&](double v) { return seconds ? results::duration(v) : results::count(v); };
    check.baseline.value = j.base_median;
    check.baseline.text = show(j.base_median);
    check.current.value = j.head_median;
    check.current.interval = j.slowdown;
    check.current.text = show(j.head_median) + ", head/base " + results::ratio_text(j.slowdown, j.method);
    check.outcome = j.outcome;
    check.detail = j.detail;
    check.p = j.test.p;
    check.p_adjusted = j.p_adjusted;
  }
  return out;
}

}  // namespace certbench::gate
