// The top functions of a profile, and the shares that changed most between two profiles.
#include "certbench/reports/flamegraph.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>

#include "certbench/results/format.hpp"

namespace certbench::reports {
namespace {

std::string cut(std::string_view name, std::size_t width) {
  if (name.size() <= width || width < 4) return std::string(name);
  return std::string(name.substr(0, width - 3)) + "...";
}

}  // namespace

std::vector<FunctionTime> function_times(const FoldedStacks& folded) {
  std::map<std::string, FunctionTime> by_name;
  std::set<std::string_view> seen;
  std::vector<std::string_view> frames;
  for (const auto& [stack, count] : folded.stacks) {
    frames.clear();
    std::size_t start = 0;
    while (start <= stack.size()) {
      const auto end = std::min(stack.find(';', start), stack.size());
      frames.push_back(std::string_view(stack).substr(start, end - start));
      start = end + 1;
    }
    if (frames.size() < 2) continue;  // a thread's name alone: no function
    seen.clear();
    for (std::size_t i = 1; i < frames.size(); ++i)
      if (seen.insert(frames[i]).second) {
        auto& f = by_name[std::string(frames[i])];
        f.total += count;
      }
    by_name[std::string(frames.back())].self += count;
  }
  const double total = static_cast<double>(folded.samples());
  std::vector<FunctionTime> out;
  out.reserve(by_name.size());
  for (auto& [name, f] : by_name) {
    f.name = name;
    f.self_share = total > 0 ? static_cast<double>(f.self) / total : 0;
    f.total_share = total > 0 ? static_cast<double>(f.total) / total : 0;
    out.push_back(std::move(f));
  }
  std::stable_sort(out.begin(), out.end(), [](const FunctionTime& a, const FunctionTime& b) { return a.self > b.self; });
  return out;
}

std::string top_functions_table(const FoldedStacks& folded, std::size_t n, std::size_t name_width) {
  auto times = function_times(folded);
  std::string out = fmt::format("{} samples\nby self time:\n  {:>6}  {:>6}  function\n", folded.samples(), "self", "total");
  for (std::size_t i = 0; i < std::min(n, times.size()); ++i)
    out += fmt::format("  {:>6}  {:>6}  {}\n", results::percent(times[i].self_share), results::percent(times[i].total_share),
                       cut(times[i].name, name_width));
  std::stable_sort(times.begin(), times.end(),
                   [](const FunctionTime& a, const FunctionTime& b) { return a.total > b.total; });
  out += fmt::format("by total time (with its callees):\n  {:>6}  {:>6}  function\n", "total", "self");
  for (std::size_t i = 0; i < std::min(n, times.size()); ++i)
    out += fmt::format("  {:>6}  {:>6}  {}\n", results::percent(times[i].total_share), results::percent(times[i].self_share),
                       cut(times[i].name, name_width));
  return out;
}

std::vector<ShareChange> share_changes(const FoldedStacks& before, const FoldedStacks& after) {
  std::map<std::string, ShareChange> by_name;
  for (const auto& f : function_times(before)) {
    auto& c = by_name[f.name];
    c.self_before = f.self_share;
    c.total_before = f.total_share;
  }
  for (const auto& f : function_times(after)) {
    auto& c = by_name[f.name];
    c.self_after = f.self_share;
    c.total_after = f.total_share;
  }
  std::vector<ShareChange> out;
  out.reserve(by_name.size());
  for (auto& [name, c] : by_name) {
    c.name = name;
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ShareChange& a, const ShareChange& b) { return a.self_change() > b.self_change(); });
  return out;
}

std::string share_changes_table(const FoldedStacks& before, const FoldedStacks& after, std::string_view before_name,
                                std::string_view after_name, std::size_t n, std::size_t name_width) {
  const auto changes = share_changes(before, after);
  constexpr double kMin = 0.001;
  auto row = [&](const ShareChange& c) {
    return fmt::format("  {:>+7.1f}  {:>6} -> {:>6}   {:>6} -> {:>6}  {}\n", 100 * c.self_change(),
                       results::percent(c.self_before), results::percent(c.self_after), results::percent(c.total_before), results::percent(c.total_after),
                       cut(c.name, name_width));
  };
  const std::string header = fmt::format("  {:>7}  {:>16}   {:>16}  function\n", "points", "self share", "total share");
  std::string out = fmt::format("shares of samples, {} ({} samples) -> {} ({} samples)\ngrew the most:\n{}",
                                before_name, before.samples(), after_name, after.samples(), header);
  std::size_t shown = 0;
  for (const auto& c : changes)
    if (shown < n && c.self_change() >= kMin) {
      out += row(c);
      ++shown;
    }
  if (shown == 0) out += "  (none)\n";
  out += "shrank the most:\n" + header;
  shown = 0;
  for (auto it = changes.rbegin(); it != changes.rend(); ++it)
    if (shown < n && it->self_change() <= -kMin) {
      out += row(*it);
      ++shown;
    }
  if (shown == 0) out += "  (none)\n";
  return out;
}

}  // namespace certbench::reports
