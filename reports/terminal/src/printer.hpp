#pragma once
// What the terminal report's sections share: where they print and what they read (the run).
#include <cstdio>
#include <fmt/format.h>
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/results/format.hpp"
#include "certbench/results/run.hpp"
#include "certbench/results/statistics.hpp"

namespace certbench::reports::terminal {

struct Printer {
  const results::Run& run;
  std::FILE* out;

  template <typename... Args>
  void print(fmt::format_string<Args...> f, Args&&... args) const {
    fmt::print(out, f, std::forward<Args>(args)...);
  }

  /// `text` in lines of at most `width` columns, the first after `indent`, the others after
  /// `continued` (default: `indent`); a word longer than the line keeps its own line. The
  /// terminal's prose fits 120 columns as its tables do.
  void wrapped(std::string_view text, std::string_view indent = "  ", std::size_t width = 118,
               std::string_view continued = {}) const {
    if (continued.empty()) continued = indent;
    std::string line(indent);
    bool empty = true;
    for (std::size_t at = 0; at < text.size();) {
      const std::size_t end = std::min(text.find(' ', at), text.size());
      const std::string_view word = text.substr(at, end - at);
      at = end + 1;
      if (word.empty()) continue;
      if (!empty && line.size() + 1 + word.size() > width) {
        fmt::print(out, "{}\n", line);
        line = std::string(continued);
        empty = true;
      }
      line += empty ? std::string(word) : " " + std::string(word);
      empty = false;
    }
    if (!empty) fmt::print(out, "{}\n", line);
  }

  [[nodiscard]] std::vector<const results::Series*> family(std::string_view f) const { return run.of_family(f); }
  [[nodiscard]] const results::Delta* delta(const results::Series& other, results::Metric m) const {
    return run.against_naive(other, m);
  }
};

inline results::Summary summary(const results::Series& s, results::Metric m) {
  const auto* v = s.samples_of(m);
  return v == nullptr ? results::Summary{} : results::summarize(*v);
}

/// The median of `m` over the series' samples (for a percentile, over windows) as a duration, "-"
/// where there is none (for a percentile: requests never answered reached it in any window).
inline std::string median_of(const results::Series& s, results::Metric m) {
  const auto x = summary(s, m);
  return x.n ? results::duration(x.median) : std::string("-");
}

/// The width of a table's first column: its header, or the longest path among `series`.
inline std::size_t path_width(const std::vector<const results::Series*>& series, std::string_view header) {
  std::size_t width = header.size();
  for (const auto* s : series) width = std::max(width, s->path.size());
  return width;
}

/// The API over HTTP (family http): one row per endpoint, implementation and load; `anatomy`:
/// where a request's time went in the server, too.
void print_http(const Printer& p, bool anatomy = true);

/// The run in a few small tables (PrintOptions::tables false): a row per path of each family.
void print_summary(const Printer& p);

/// The summary's growth, deep pages and index sets: a row per listing each.
void print_scale_summary(const Printer& p);

/// The largest delta of each family, a line each.
void print_headline(const Printer& p);

}  // namespace certbench::reports::terminal
