// The gate's report as text: the terminal table, the Markdown summary and the verdict file.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "certbench/gate/gate.hpp"

namespace certbench::gate {

namespace {

using nlohmann::json;

// Parameters that tell a family's series apart in this report (those with more than one value);
// the rest (page 1, size 20 everywhere) would only widen the table.
std::map<std::string, std::set<std::string>> distinguishing(const Report& r) {
  std::map<std::string, std::map<std::string, std::set<double>>> seen;
  for (const auto& c : r.checks)
    for (const auto& [k, v] : c.parameters) seen[c.family][k].insert(v);
  std::map<std::string, std::set<std::string>> out;
  for (const auto& [family, params] : seen)
    for (const auto& [k, values] : params)
      if (values.size() > 1) out[family].insert(k);
  // A parameter one series has and another lacks also tells them apart.
  for (const auto& c : r.checks)
    for (const auto& [k, values] : seen[c.family])
      if (!c.parameters.count(k)) out[c.family].insert(k);
  return out;
}

std::string path_text(const Check& c, const std::map<std::string, std::set<std::string>>& shown) {
  std::string out = c.path;
  if (!c.mode.empty()) out += "/" + c.mode;
  const auto it = shown.find(c.family);
  if (it != shown.end())
    for (const auto& [k, v] : c.parameters)
      if (it->second.count(k)) out += " " + k + "=" + results::number_text(v);
  return out;
}

std::string figure_text(const Check& c) {
  if (c.figure.rfind("speedup:", 0) == 0) return c.figure.substr(8) + " speed-up";
  if (c.figure.rfind("head_base:", 0) == 0) return c.figure.substr(10) + " head/base";
  return c.figure;
}

std::string cut(const std::string& s, std::size_t width) {
  if (s.size() <= width) return s;
  return s.substr(0, width - 3) + "...";
}

struct Counts {
  std::map<Outcome, std::size_t> by;
  [[nodiscard]] std::size_t of(Outcome o) const {
    const auto it = by.find(o);
    return it == by.end() ? 0 : it->second;
  }
};

Counts counts_of(const Report& r) {
  Counts c;
  for (const auto& check : r.checks) ++c.by[check.outcome];
  return c;
}

std::string plural(std::size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string tally(const Report& r) {
  const auto c = counts_of(r);
  return plural(c.of(Outcome::regression), "regression", "regressions") + ", " +
         std::to_string(c.of(Outcome::inconclusive)) + " inconclusive, " + std::to_string(c.of(Outcome::pass)) +
         " pass, " + std::to_string(c.of(Outcome::improved)) + " improved, " +
         std::to_string(c.of(Outcome::not_applicable)) + " n/a, " + std::to_string(c.of(Outcome::not_measured)) +
         " not measured";
}

std::string verdict_words(Verdict v) {
  switch (v) {
    case Verdict::pass: return "PASS";
    case Verdict::regression: return "REGRESSION";
    case Verdict::inconclusive: return "INCONCLUSIVE";
    case Verdict::incomplete: return "INCOMPLETE RUN";
  }
  return "PASS";
}

std::string run_words(const std::string& origin, const results::Environment& e) {
  std::string out = origin;
  std::string about;
  if (!e.git_commit.empty())
    about += "commit " + e.git_commit.substr(0, 12) + (e.git_dirty ? " with uncommitted changes" : "");
  if (!e.started_utc.empty()) about += (about.empty() ? "" : ", ") + e.started_utc;
  if (!e.host.empty()) about += (about.empty() ? "" : ", ") + e.host;
  return about.empty() ? out : out + " (" + about + ")";
}

std::string line_of(const Check& c) {
  return std::string(to_string(c.outcome)) + ": tier " + std::to_string(c.tier) + " " + c.key + ": " +
         (c.detail.empty() ? figure_text(c) + " " + c.baseline.text + " -> " + c.current.text : c.detail);
}

json figure_json(const Figure& f) {
  json j = {{"text", f.text}};
  j["value"] = f.value ? json(*f.value) : json(nullptr);
  j["interval"] = f.interval ? json{{"estimate", f.interval->estimate}, {"low", f.interval->low}, {"high", f.interval->high}}
                             : json(nullptr);
  if (!f.shape.empty()) j["shape"] = f.shape;
  return j;
}

std::string md_cell(std::string s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') out += "\\|";
    else if (ch == '\n') out += ' ';
    else out += ch;
  }
  return out;
}

}  // namespace

std::string to_text(const Report& r) {
  const auto shown = distinguishing(r);
  const std::vector<std::string> head{"tier", "family", "path", "impl", "figure", "baseline", "current", "verdict"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : r.checks)
    rows.push_back({std::to_string(c.tier), c.family, path_text(c, shown), c.implementation, figure_text(c),
                    cut(c.baseline.text, 44), cut(c.current.text, 44), std::string(to_string(c.outcome))});
  std::vector<std::size_t> width(head.size());
  for (std::size_t i = 0; i < head.size(); ++i) width[i] = head[i].size();
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  const auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  emit(head);
  for (const auto& row : rows) emit(row);
  out += "\n";
  for (const auto& c : r.checks)
    if (c.outcome == Outcome::regression || c.outcome == Outcome::inconclusive) out += line_of(c) + "\n";
  for (const auto& n : r.notes) out += "note: " + n + "\n";
  out += "gate: " + verdict_words(r.verdict) + " (exit " + std::to_string(static_cast<int>(exit_code(r.verdict))) +
         "): " + tally(r) + "\n";
  out += "  baseline " + (r.has_baseline ? run_words(r.baseline_origin, r.baseline_environment)
                                         : std::string("none: only the run's head/base comparison is judged")) + "\n";
  out += "  run      " + run_words(r.current_origin, r.current_environment) + "\n";
  out += "  policy   " + r.policy_origin + "\n";
  return out;
}

std::string to_markdown(const Report& r) {
  const auto shown = distinguishing(r);
  std::string out = "## certbench gate: " + verdict_words(r.verdict) + "\n\n";
  out += tally(r) + ".\n\n";
  out += r.has_baseline ? "- baseline: `" + md_cell(run_words(r.baseline_origin, r.baseline_environment)) + "`\n"
                        : std::string("- baseline: none (only the run's head/base comparison is judged)\n");
  out += "- run: `" + md_cell(run_words(r.current_origin, r.current_environment)) + "`\n";
  out += "- policy: " + md_cell(r.policy_origin) + "\n\n";
  const auto row = [&](const Check& c, bool with_why) {
    std::string line = "| " + std::to_string(c.tier) + " | " + md_cell(c.family) + " | " + md_cell(path_text(c, shown)) +
                       " | " + md_cell(c.implementation) + " | " + md_cell(figure_text(c)) + " | " +
                       md_cell(c.baseline.text) + " | " + md_cell(c.current.text) + " | " + md_cell(c.limit) + " | " +
                       std::string(to_string(c.outcome));
    if (with_why) line += " | " + md_cell(c.detail);
    return line + " |\n";
  };
  const std::string header = "| tier | family | path | impl | figure | baseline | current | limit | verdict |";
  for (const auto outcome : {Outcome::regression, Outcome::inconclusive}) {
    std::string section;
    for (const auto& c : r.checks)
      if (c.outcome == outcome) section += row(c, true);
    if (section.empty()) continue;
    out += std::string("### ") + (outcome == Outcome::regression ? "Regressions" : "Inconclusive") + "\n\n";
    out += header + " why |\n|---|---|---|---|---|---|---|---|---|---|\n" + section + "\n";
  }
  if (!r.notes.empty()) {
    out += "### Notes\n\n";
    for (const auto& n : r.notes) out += "- " + md_cell(n) + "\n";
    out += "\n";
  }
  out += "<details><summary>Every check (" + std::to_string(r.checks.size()) + ")</summary>\n\n";
  out += header + "\n|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& c : r.checks) out += row(c, false);
  out += "\n</details>\n";
  return out;
}

std::string to_json(const Report& r) {
  const auto counts = counts_of(r);
  json checks = json::array();
  for (const auto& c : r.checks) {
    json j = {{"tier", c.tier},
              {"key", c.key},
              {"family", c.family},
              {"path", c.path},
              {"implementation", c.implementation},
              {"mode", c.mode},
              {"parameters", c.parameters},
              {"figure", c.figure},
              {"baseline", figure_json(c.baseline)},
              {"current", figure_json(c.current)},
              {"limit", c.limit},
              {"verdict", to_string(c.outcome)},
              {"detail", c.detail}};
    if (c.p) j["p"] = *c.p;
    if (c.p_adjusted) j["p_adjusted"] = *c.p_adjusted;
    checks.push_back(std::move(j));
  }
  const auto run_json = [](const std::string& origin, const results::Environment& e) {
    return json{{"file", origin},
                {"git_commit", e.git_commit},
                {"git_dirty", e.git_dirty},
                {"started_utc", e.started_utc},
                {"host", e.host},
                {"postgres_version", e.postgres_version},
                {"dataset", e.dataset_fingerprint}};
  };
  json current = run_json(r.current_origin, r.current_environment);
  current["complete"] = r.current_complete;
  current["failure"] = r.current_failure;
  json counts_json = json::object();
  for (const auto o : {Outcome::pass, Outcome::improved, Outcome::regression, Outcome::inconclusive,
                       Outcome::not_applicable, Outcome::not_measured})
    counts_json[std::string(to_string(o))] = counts.of(o);
  json doc = {{"gate_version", 1},
              {"verdict", to_string(r.verdict)},
              {"exit_code", static_cast<int>(exit_code(r.verdict))},
              {"baseline", r.has_baseline ? run_json(r.baseline_origin, r.baseline_environment) : json(nullptr)},
              {"current", current},
              {"policy", r.policy_origin},
              {"counts", counts_json},
              {"notes", r.notes},
              {"checks", checks}};
  return doc.dump(1) + "\n";
}

}  // namespace certbench::gate
