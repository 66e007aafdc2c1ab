#pragma once
// What report.md's sections share: the Writer they append to, and its helpers. Internal.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "certbench/results/format.hpp"
#include "certbench/results/run.hpp"
#include "certbench/results/statistics.hpp"

namespace certbench::reports::markdown {

using results::Delta;
using results::Metric;
using results::Run;
using results::Series;

// A table cell: pipes escaped, newlines as spaces.
inline std::string cell(std::string text) {
  for (std::size_t at = 0; (at = text.find('|', at)) != std::string::npos; at += 2) text.replace(at, 1, "\\|");
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

// The distinct paths of `items` (series, fits, plans, or pointers to them), in first-seen order.
template <typename Items>
std::vector<std::string> paths_of(const Items& items) {
  std::vector<std::string> paths;
  for (const auto& item : items) {
    const std::string& path = [&]() -> const std::string& {
      if constexpr (std::is_pointer_v<std::decay_t<decltype(item)>>) return item->path;
      else return item.path;
    }();
    if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  }
  return paths;
}

struct Writer {
  const Run& run;
  const std::vector<std::string>& charts;
  std::string out;

  template <typename... Args>
  void line(fmt::format_string<Args...> f, Args&&... args) {
    out += fmt::format(f, std::forward<Args>(args)...);
    out += '\n';
  }

  void chart(const std::string& name, const std::string& alt) {
    if (std::find(charts.begin(), charts.end(), name) == charts.end()) return;
    line("![{}](charts/{}.svg)", alt, name);
    line("");
  }

  [[nodiscard]] std::vector<const Series*> family(std::string_view f) const { return run.of_family(f); }
  [[nodiscard]] const Delta* delta(const Series& other, Metric m) const { return run.against_naive(other, m); }

  static results::Summary summary(const Series& s, Metric m) {
    const auto* v = s.samples_of(m);
    return v == nullptr ? results::Summary{} : results::summarize(*v);
  }

  // "held/size | wait p99" of a load's session pool, or dashes.
  static std::string pool_cells(const Series& s) {
    const auto sessions = s.value(Metric::pool_sessions);
    if (!sessions) return "— | —";
    const auto wait = summary(s, Metric::pool_wait);
    return fmt::format("{:.1f} of {:.0f} | {}", s.value(Metric::pool_in_use).value_or(0), *sessions,
                       wait.n ? results::duration(wait.p99) : "—");
  }

  // markdown.cpp: the title and the environment
  void header();
  void environment();

  // headline_section.cpp: the verdicts and the largest deltas
  void verdict_table(std::string_view kind);
  void headline();

  // listings_section.cpp: the listings, base against head, on the event loop, and which fix
  void listings();
  void compare();
  void loop();
  void fix_advice();

  // caching_section.cpp
  void caching();

  // saves_section.cpp
  void saves();

  // growth_section.cpp: growth fits and deep pages
  void growth();

  // indexes_section.cpp
  void indexes();

  // why_section.cpp: the plans behind the listing figures
  void why();
};

}  // namespace certbench::reports::markdown
