// The terminal sink on a stored run (tests/fixtures/results-quick.json, made by a real run): its
// summary and its full tables fit 120 columns, and the summary says each claim once, with how many
// of its subjects got each verdict.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <numeric>
#include <regex>
#include <sstream>
#include <string>

#include "certbench/reports/terminal.hpp"
#include "certbench/results/json.hpp"
#include "support/text.hpp"

using namespace certbench;
using certbench::testing::has;

namespace {

const std::filesystem::path kFixture = std::filesystem::path(CERTBENCH_SOURCE_DIR) / "tests/fixtures/results-quick.json";

std::string printed(const results::Run& run, bool tables) {
  std::FILE* f = std::tmpfile();
  reports::PrintOptions options;
  options.tables = tables;
  reports::print_run(run, f, options);
  std::rewind(f);
  std::string text;
  for (int c; (c = std::fgetc(f)) != EOF;) text.push_back(static_cast<char>(c));
  std::fclose(f);
  return text;
}

// Columns as a terminal counts them: UTF-8 continuation bytes take none.
std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (char c : line) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace

TEST(Terminal, EveryLineFitsAHundredAndTwentyColumns) {
  const auto run = results::load(kFixture);
  for (bool tables : {false, true}) {
    std::istringstream text(printed(run, tables));
    for (std::string line; std::getline(text, line);)
      EXPECT_LE(columns(line), 120u) << (tables ? "--tables: " : "summary: ") << line;
  }
}

// The summary is what a person reads at the end of a run: a row per path of each family, the
// verdicts and the headline last, where the terminal leaves them in view. The fixture measured
// every family, the sweep and the index sets included: more than a default run.
TEST(Terminal, TheSummaryIsShortAndEndsWithTheVerdictsAndTheHeadline) {
  const auto run = results::load(kFixture);
  const auto summary = printed(run, false), tables = printed(run, true);
  const auto lines = [](const std::string& text) { return std::count(text.begin(), text.end(), '\n'); };
  EXPECT_LE(lines(summary), 120) << summary;
  EXPECT_LT(3 * lines(summary), lines(tables)) << "the summary is not much shorter than the tables";
  const auto claims = summary.find("the review's claims"), headline = summary.find("headline deltas");
  ASSERT_NE(claims, std::string::npos);
  ASSERT_NE(headline, std::string::npos);
  EXPECT_LT(claims, headline);
  const auto after = summary.substr(headline);
  EXPECT_EQ(after.substr(0, after.size() - 1).find("\n\n"), std::string::npos) << "nothing after the headline's block";
}

TEST(Terminal, TheSummarySaysEachClaimOnceWithItsVerdictsCounted) {
  const auto run = results::load(kFixture);
  const auto text = printed(run, false);
  // The claims in the run, each with its subjects' verdicts counted.
  // A claim none of whose subjects was measured is named in the line after them instead.
  std::map<std::string, std::map<std::string, int>> claims;
  for (const auto& v : run.verdicts) ++claims[v.kind + " " + v.text][std::string(results::to_string(v.outcome))];
  std::erase_if(claims, [](const auto& c) { return c.second.size() == 1 && c.second.contains("not_measured"); });
  ASSERT_GE(claims.size(), 3u) << "the fixture judges too few claims to tell";
  const auto verdicts = text.substr(text.find("the review's claims"));
  for (const auto& [claim, outcomes] : claims) {
    // Its first words, as far as the first line holds them; its entry, that line and the ones
    // continuing it.
    const auto start = claim.substr(0, 40);
    std::size_t found = 0;
    std::string line;
    std::istringstream lines(verdicts);
    bool in_entry = false;
    for (std::string l; std::getline(lines, l);) {
      if (has(l, start)) {
        ++found;
        line = l;
        in_entry = true;
      } else if (in_entry && l.starts_with("    ")) {
        line += " " + l.substr(4);
      } else {
        in_entry = false;
      }
    }
    ASSERT_EQ(found, 1u) << claim << "\n" << verdicts;
    const int subjects = std::accumulate(outcomes.begin(), outcomes.end(), 0, [](int n, const auto& o) { return n + o.second; });
    for (const auto& [outcome, n] : outcomes)
      EXPECT_TRUE(has(line, subjects == 1 ? "— " + outcome : std::to_string(n) + " " + outcome)) << line;
  }
  // The line after them names the claims not judged at all, and no other.
  std::map<std::string, bool> measured;  // per claim id: any subject measured
  for (const auto& v : run.verdicts) measured[v.id] = measured[v.id] || v.outcome != results::Outcome::not_measured;
  const auto at = verdicts.find("not judged");
  const auto not_judged = at == std::string::npos ? std::string() : verdicts.substr(at, verdicts.find('\n', at) - at);
  for (const auto& [id, any] : measured)
    EXPECT_EQ(std::regex_search(not_judged, std::regex("[ ,]" + id + "(,|$)")), !any) << id << ": " << not_judged;
  // Every subject stays in the full tables.
  const auto full = printed(run, true);
  for (const auto& v : run.verdicts)
    if (v.outcome != results::Outcome::not_measured) {
      EXPECT_TRUE(has(full, v.subject)) << v.subject;
    }
}

// Deep pages at 1, 100 and 1000 by offset and by keyset: a row per listing, each figure under its
// page's heading.
TEST(Terminal, TheSummarysDeepPagesKeepTheirColumns) {
  results::Run run;
  for (const char* path : {"get_public_certificates", "get_all_certificates_with_users"})
    for (double keyset : {0.0, 1.0})
      for (double page : {1.0, 100.0, 1000.0}) {
        results::Series s;
        s.family = results::family::listing_depth;
        s.path = path;
        s.implementation = "limited";
        s.parameters = {{"scale", 100000}, {"page", page}, {"keyset", keyset}, {"size", 20}};
        s.samples[results::Metric::latency] = {keyset ? 1e-4 : page * 1e-4};
        run.series.push_back(s);
      }
  const auto text = printed(run, false);
  const auto block = text.substr(text.find("deep pages"));
  std::istringstream lines(block.substr(0, block.find("\n\n")));
  std::vector<std::string> table;
  for (std::string l; std::getline(lines, l);)
    if (l.starts_with("  path") || l.starts_with("  get_")) table.push_back(l);
  ASSERT_EQ(table.size(), 3u) << text;
  EXPECT_TRUE(has(table[0], "offset 1000")) << text;
  EXPECT_TRUE(has(table[0], "keyset 1000")) << text;
  for (const auto& row : table) EXPECT_EQ(row.size(), table[0].size()) << text;  // right-aligned under the headings
  EXPECT_TRUE(has(table[1], "10.00 ms      100 ms")) << text;  // offset pages 100 and 1000, in order
}
