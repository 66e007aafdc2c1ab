// The summary's view of how cost grows: the fitted growth, the deep pages and the index sets, a
// row per listing each (`certbench run --full`, --indexes). Every metric, implementation and index
// in full: --tables and report.md.
#include <algorithm>
#include <array>
#include <map>
#include <tuple>

#include "certbench/results/analysis.hpp"
#include "certbench/results/format.hpp"
#include "printer.hpp"

namespace certbench::reports::terminal {

namespace {

using results::Metric;
using results::Series;

// The review's subjects: the code before it, its fix as written, the best measured.
constexpr std::array<std::string_view, 3> kSubjects{"naive", "review", "limited"};

void growth(const Printer& p) {
  std::vector<std::string> paths;
  std::map<std::pair<std::string, std::string_view>, const results::GrowthFit*> fits;
  for (const auto& f : p.run.fits) {
    if (f.family != results::family::listing || f.metric != Metric::latency) continue;
    for (auto impl : kSubjects)
      if (f.implementation == impl) fits[{f.path, impl}] = &f;
    if (std::find(paths.begin(), paths.end(), f.path) == paths.end()) paths.push_back(f.path);
  }
  if (fits.empty()) return;
  p.print("\nhow a call's latency grows with the dataset: ~ scale^k, k fitted on the medians (95% interval); "
          "1 = linear,\n  0 = flat (every implementation and metric, with the medians: --tables, report.md)\n");
  p.print("  {:<31}", "path");
  for (auto impl : kSubjects) p.print(" {:>22}", impl);
  p.print("\n");
  for (const auto& path : paths) {
    p.print("  {:<31}", path);
    for (auto impl : kSubjects) {
      const auto it = fits.find({path, impl});
      p.print(" {:>22}", it == fits.end() ? "-" : results::interval_text(it->second->exponent, results::exponent));
    }
    p.print("\n");
  }
}

void depth(const Printer& p) {
  const auto series = p.family(results::family::listing_depth);
  if (series.empty()) return;
  std::vector<double> pages;
  std::vector<std::string> paths;
  std::map<std::tuple<std::string, bool, double>, const Series*> cells;
  for (const auto* s : series) {
    const double page = s->parameter("page").value_or(0);
    if (std::find(pages.begin(), pages.end(), page) == pages.end()) pages.push_back(page);
    if (std::find(paths.begin(), paths.end(), s->path) == paths.end()) paths.push_back(s->path);
    cells[{s->path, s->parameter("keyset").value_or(0) != 0, page}] = s;
  }
  std::sort(pages.begin(), pages.end());
  p.print("\ndeep pages ({} at scale {}), the median call: OFFSET pages cost more the deeper they are, keyset pages\n"
          "  should not\n",
          series.front()->implementation,
          results::thousands(static_cast<std::uint64_t>(series.front()->parameter("scale").value_or(0))));
  std::string header;
  for (bool keyset : {false, true})
    for (double page : pages) header += fmt::format(" {:>11}", fmt::format("{} {:.0f}", keyset ? "keyset" : "offset", page));
  p.print("  {:<31}{}\n", "path", header);
  for (const auto& path : paths) {
    std::string row;
    for (bool keyset : {false, true})
      for (double page : pages) {
        const auto it = cells.find({path, keyset, page});
        row += fmt::format(" {:>11}", it == cells.end() ? "-" : median_of(*it->second, Metric::latency));
      }
    p.print("  {:<31}{}\n", path, row);
  }
}

void indexes(const Printer& p) {
  std::vector<const Series*> rows;
  for (const auto* s : p.family(results::family::indexes))
    if (s->mode == "none" && s->implementation == kSubjects.back()) rows.push_back(s);
  if (rows.empty() && p.run.index_verdicts.empty()) return;
  p.print("\nindex sets side by side, each on a copy of the dataset, in interleaved rounds: {}'s median call "
          "(every\n  implementation, the shared buffers and the inserts: --tables, report.md)\n",
          kSubjects.back());
  if (!rows.empty()) p.print("  {:<31} {:>9} {:>9} {:>9}  {}\n", "path", "none", "review", "best", "best vs review");
  for (const auto* s : rows) {
    std::string row;
    const Series* review = nullptr;
    const Series* best = nullptr;
    for (std::string_view set : {"none", "review", "best"}) {
      const auto* x = results::under_set(p.run, *s, set);
      if (set == "review") review = x;
      if (set == "best") best = x;
      row += fmt::format(" {:>9}", x ? median_of(*x, Metric::latency) : "-");
    }
    const auto* d = review && best ? results::find_delta(p.run, *review, *best, Metric::latency) : nullptr;
    p.print("  {:<31}{}  {}\n", s->path, row, d ? results::delta_text(*d) : "n/a");
  }
  // Each set's indexes counted by verdict, the ones not used named (why: --tables, report.md).
  std::map<std::string, std::map<std::string, std::vector<std::string>>> verdicts;  // set -> outcome -> indexes
  for (const auto& v : p.run.index_verdicts) verdicts[v.set][v.outcome].push_back(v.index);
  for (const auto& [set, outcomes] : verdicts) {
    std::string line = "the " + set + " set's indexes:";
    for (const auto& [outcome, names] : outcomes) {
      line += fmt::format(" {} {}", names.size(), outcome);
      if (outcome != results::kIndexUsed) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        line += " (" + list + ")";
      }
      line += ";";
    }
    line.back() = '.';
    p.wrapped(line);
  }
}

}  // namespace

void print_scale_summary(const Printer& p) {
  growth(p);
  depth(p);
  indexes(p);
}

}  // namespace certbench::reports::terminal
