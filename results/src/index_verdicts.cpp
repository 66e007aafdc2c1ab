// The index scenario judged: each index set against none, and a verdict per index.
#include "certbench/results/analysis.hpp"

#include <algorithm>
#include <set>

#include "analysis_parts.hpp"
#include "certbench/results/format.hpp"

namespace certbench::results {


const Series* under_set(const Run& run, const Series& s, std::string_view set) {
  for (const auto& b : run.series)
    if (b.family == s.family && b.path == s.path && b.implementation == s.implementation && b.mode == set &&
        b.parameters == s.parameters)
      return &b;
  return nullptr;
}

std::vector<Delta> index_deltas(const Run& run) {
  std::vector<Delta> out;
  for (const auto& s : run.series) {
    if (s.family != family::indexes && s.family != family::index_writes) continue;
    std::vector<std::string_view> against;
    if (s.mode == "review" || s.mode == "best") against.push_back("none");
    if (s.mode == "best") against.push_back("review");
    for (auto set : against) {
      const Series* b = under_set(run, s, set);
      if (b == nullptr) continue;
      for (Metric m : {Metric::latency, Metric::shared_buffers, Metric::insert_rate})
        if (auto d = compare(*b, s, m)) out.push_back(std::move(*d));
    }
  }
  return out;
}

std::vector<IndexVerdict> judge_indexes(const Run& run) {
  std::vector<IndexVerdict> out;
  // The (table, definition)s the review recommends, to tell what best adds: an index series of
  // best carries in_review = 1 when the review has the same definition on its table.
  for (const auto& s : run.series) {
    if (s.family != family::index || (s.mode != "review" && s.mode != "best")) continue;
    IndexVerdict v;
    v.set = s.mode;
    v.table = s.path;
    v.index = s.implementation;
    v.scans = s.value(Metric::index_scans).value_or(0);
    v.adds = s.mode == "best" && s.parameter("in_review").value_or(1) == 0;
    // Listings that scanned it under this set, and whether any of them got worse than with none.
    std::vector<std::string> worse;
    for (const auto& u : run.index_use) {
      if (u.set != s.mode || u.index != v.index || u.scans <= 0) continue;
      const auto who = u.path + "/" + u.implementation;
      if (std::find(v.read_by.begin(), v.read_by.end(), who) != v.read_by.end()) continue;
      v.read_by.push_back(who);
      const Series* with = nullptr;
      for (const auto& x : run.series)
        if (x.family == family::indexes && x.path == u.path && x.implementation == u.implementation && x.mode == s.mode)
          with = &x;
      const Series* without = with ? under_set(run, *with, "none") : nullptr;
      if (with == nullptr || without == nullptr) continue;
      const Delta* lat = find_delta(run, *without, *with, Metric::latency);
      const auto buffers_with = with->value(Metric::shared_buffers), buffers_without = without->value(Metric::shared_buffers);
      const bool slower = lat != nullptr && lat->factor.high < 1;
      // Without the server's buffer counts (no pg_stat_statements) the latency decides alone.
      const bool buffers_known = buffers_with && buffers_without;
      const bool no_fewer_buffers = !buffers_known || *buffers_with >= *buffers_without;
      if (slower && no_fewer_buffers)
        worse.push_back(who + " " + delta_text(*lat) + " against none, " +
                        (buffers_known ? count(*buffers_with) + " buffers per call against " + count(*buffers_without)
                                       : std::string("buffers not measured")));
    }
    // Inserts into its table with this set against none.
    const Delta* writes = nullptr;
    for (const auto& w : run.series)
      if (w.family == family::index_writes && w.path == v.table && w.mode == s.mode)
        if (const Series* none = under_set(run, w, "none")) writes = find_delta(run, *none, w, Metric::insert_rate);
    const bool writes_slower = writes != nullptr && writes->factor.high < 1;
    const std::string write_words =
        writes == nullptr ? "inserts into " + v.table + " not measured"
                          : "inserts into " + v.table + " at " + delta_text(*writes) + " the rate with none";
    if (v.scans == 0) {
      v.outcome = writes_slower ? kIndexHarmful : kIndexUnused;
      v.reason = "no listing scanned it; " + write_words;
    } else if (!worse.empty()) {
      v.outcome = kIndexHarmful;
      v.reason = count(v.scans) + " scans, but slower than with none: " + worse.front();
    } else {
      v.outcome = kIndexUsed;
      v.reason = count(v.scans) + " scans" +
                 (v.read_by.empty() ? std::string()
                                    : " by " + v.read_by.front() +
                                          (v.read_by.size() > 1
                                               ? " and " + count(static_cast<double>(v.read_by.size() - 1)) + " more"
                                               : std::string())) +
                 "; " + write_words;
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace certbench::results
