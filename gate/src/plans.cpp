// Tier 1 on the plans: the shared buffers one call touched and the plan shape of each statement.
#include <algorithm>
#include <iterator>
#include <map>
#include <tuple>

#include "detail.hpp"

namespace certbench::gate::detail {

using results::Run;
using results::Series;

namespace {

// A plan's node types, repeats folded: "Limit, Incremental Sort, Merge Append, 5x(Limit, Index Scan)".
std::string folded_nodes(const std::vector<std::string>& list) {
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < list.size();) {
    // The block of 1 to 3 nodes repeated most often right here (covering the most nodes).
    std::size_t best_len = 1, best_count = 1;
    for (std::size_t len = 1; len <= 3 && i + len <= list.size(); ++len) {
      std::size_t reps = 1;
      while (i + (reps + 1) * len <= list.size() &&
             std::equal(list.begin() + static_cast<std::ptrdiff_t>(i),
                        list.begin() + static_cast<std::ptrdiff_t>(i + len),
                        list.begin() + static_cast<std::ptrdiff_t>(i + reps * len)))
        ++reps;
      if (reps > 1 && reps * len > best_count * best_len) {
        best_len = len;
        best_count = reps;
      }
    }
    std::string block;
    for (std::size_t k = 0; k < best_len; ++k) block += (k ? ", " : "") + list[i + k];
    if (best_count > 1) block = std::to_string(best_count) + "x" + (best_len > 1 ? "(" + block + ")" : " " + block);
    parts.push_back(block);
    i += best_len * best_count;
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

struct PlanGroup {
  Series subject;  ///< the series the plans explain (family, path, implementation, parameters)
  std::vector<const results::Plan*> plans;
};

std::vector<PlanGroup> plan_groups(const Run& run) {
  std::vector<PlanGroup> out;
  std::map<std::string, std::size_t> at;
  for (const auto& p : run.plans) {
    Series s;
    s.family = p.family;
    s.path = p.path;
    s.implementation = p.implementation;
    s.mode = p.mode;  // the index scenario's plans: one group per set
    s.parameters = p.parameters;
    const auto [it, added] = at.try_emplace(s.key(), out.size());
    if (added) out.push_back({std::move(s), {}});
    out[it->second].plans.push_back(&p);
  }
  return out;
}

double buffers_per_call(const PlanGroup& g) {
  double total = 0;
  for (const auto* p : g.plans) total += (p->shared_hit + p->shared_read) * static_cast<double>(p->executions);
  return total;
}

std::vector<std::string> shape_of(const PlanGroup& g) {
  std::vector<std::string> out;
  for (const auto* p : g.plans)
    out.push_back((p->executions > 1 ? std::to_string(p->executions) + "x per call: " : std::string()) +
                  folded_nodes(p->nodes));
  return out;
}

}  // namespace

void tier1_plans(const Run& baseline, const Run& current, const Policy& policy, const std::string& server_diff,
                 std::vector<Check>& out) {
  const auto current_groups = plan_groups(current);
  std::map<std::string, const PlanGroup*> by_key;
  for (const auto& g : current_groups) by_key[g.subject.key()] = &g;
  for (const auto& b : plan_groups(baseline)) {
    const auto settings = policy.settings_for(b.subject);
    const bool buffers = settings.tolerance_of(figure::shared_buffers).check;
    if (!buffers && !settings.plan_shape) continue;
    auto it = by_key.find(b.subject.key());
    if (it == by_key.end()) {
      auto check = check_of(b.subject, 1, "plans");
      check.baseline.text = std::to_string(b.plans.size()) + " statements";
      check.current.text = "absent";
      check.limit = "present";
      const bool measured = std::any_of(current_groups.begin(), current_groups.end(), [&](const PlanGroup& g) {
        return g.subject.family == b.subject.family && same_scale(g.subject, b.subject);
      });
      std::tie(check.outcome, check.detail) = absence(b.subject, current, measured, settings);
      if (check.outcome == Outcome::not_measured && current.plans.empty())
        check.detail = "the run captured no plans" + (current.complete ? std::string() : " (" + current.failure + ")");
      out.push_back(std::move(check));
      continue;
    }
    const auto& c = *it->second;
    if (buffers) {
      auto check = check_of(c.subject, 1, std::string(figure::shared_buffers));
      const auto& t = settings.tolerance_of(figure::shared_buffers);
      judge_count(check, buffers_per_call(b), buffers_per_call(c), t, false, " per call");
      if (!server_diff.empty()) {
        check.outcome = Outcome::not_applicable;
        check.detail = "not comparable: " + server_diff;
      }
      out.push_back(std::move(check));
    }
    if (settings.plan_shape) {
      auto check = check_of(c.subject, 1, std::string(figure::plan_shape));
      check.baseline.shape = shape_of(b);
      check.current.shape = shape_of(c);
      const auto summary = [](const std::vector<std::string>& shape) {
        return shape.size() == 1 ? shape.front() : std::to_string(shape.size()) + " statements";
      };
      check.baseline.text = summary(check.baseline.shape);
      check.current.text = summary(check.current.shape);
      check.limit = "same node types";
      // Statements compare as a set: the order a call first ran them in is not its shape.
      auto before = check.baseline.shape, after = check.current.shape;
      std::sort(before.begin(), before.end());
      std::sort(after.begin(), after.end());
      if (!server_diff.empty()) {
        check.outcome = Outcome::not_applicable;
        check.detail = "not comparable: " + server_diff;
      } else if (before != after) {
        check.outcome = Outcome::regression;
        std::vector<std::string> gone, came;
        std::set_difference(before.begin(), before.end(), after.begin(), after.end(), std::back_inserter(gone));
        std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(came));
        check.detail = "plan_shape changed: " + (gone.empty() ? std::string("(nothing)") : gone.front()) + " -> " +
                       (came.empty() ? std::string("(nothing)") : came.front());
        if (gone.size() + came.size() > 2)
          check.detail += " (" + std::to_string(gone.size()) + " statements gone, " + std::to_string(came.size()) + " new)";
        if (check.baseline.shape.size() != 1 || check.current.shape.size() != 1) {
          check.baseline.text = gone.empty() ? summary(check.baseline.shape) : gone.front();
          check.current.text = came.empty() ? summary(check.current.shape) : came.front();
        }
      } else if (check.baseline.shape.size() != 1) {
        check.current.text = "the same " + std::to_string(check.current.shape.size()) + " statements";
      }
      out.push_back(std::move(check));
    }
  }
}

}  // namespace certbench::gate::detail
