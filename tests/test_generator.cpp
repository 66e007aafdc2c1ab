// The generator alone: determinism, format, and the realism docs/dataset.md describes.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/fixtures/generator.hpp"

using namespace certbench;
using namespace certbench::fixtures;

namespace {

std::string all_rows(const Generator& g, const GeneratedTable& t) {
  std::string out;
  g.append_rows(t, 0, t.rows, out);
  return out;
}

std::vector<std::vector<std::string>> parse(const std::string& copy_text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(copy_text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
      fields.push_back(line.substr(start, tab - start));
    fields.push_back(line.substr(start));
    rows.push_back(std::move(fields));
  }
  return rows;
}

}  // namespace

TEST(Generator, SameSpecGivesIdenticalBytesWhateverTheChunking) {
  const DatasetSpec spec{3000, 7, IndexSet::best};
  const Generator a(spec), b(spec);
  for (const auto& t : a.tables()) {
    std::string whole = all_rows(a, t), pieces;
    const auto mid = t.rows / 3;
    b.append_rows(t, 0, mid, pieces);
    b.append_rows(t, mid, t.rows, pieces);
    EXPECT_EQ(whole, pieces) << t.name;
  }
}

TEST(Generator, DifferentSeedGivesDifferentRows) {
  const Generator a(DatasetSpec{3000, 1, {}}), b(DatasetSpec{3000, 2, {}});
  for (std::size_t i = 0; i < a.tables().size(); ++i)
    EXPECT_NE(all_rows(a, a.tables()[i]), all_rows(b, b.tables()[i])) << a.tables()[i].name;
}

TEST(Generator, RowsAreWellFormedCopyText) {
  const Generator g(DatasetSpec{5000, 42, {}});
  for (const auto& t : g.tables()) {
    const auto rows = parse(all_rows(g, t));
    ASSERT_EQ(rows.size(), t.rows) << t.name;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      ASSERT_EQ(rows[r].size(), t.columns.size()) << t.name << " row " << r;
      EXPECT_EQ(rows[r][0], std::to_string(r + 1)) << t.name;  // ids are 1..rows
      for (const auto& f : rows[r]) {
        ASSERT_TRUE(f == "\\N" || f.find('\\') == std::string::npos) << t.name << ": " << f;
      }
    }
  }
}

TEST(Generator, SizesScaleWithTheCertificateCount) {
  for (std::uint64_t scale : {1ULL, 7ULL, 1000ULL, 123457ULL, 1000000ULL}) {
    const DatasetSpec spec{scale, 42, {}};
    std::uint64_t total = 0;
    for (std::size_t k = 0; k < certificate_kinds().size(); ++k) total += spec.certificates(k);
    EXPECT_EQ(total, scale);
  }
  const DatasetSpec small{1000, 42, {}}, large{1000000, 42, {}};
  EXPECT_GT(large.users(), small.users() * 500);
  EXPECT_GT(large.spas(), small.spas() * 100);
  EXPECT_GT(large.templates(), small.templates() * 50);
}

// docs/dataset.md: about three quarters public; ownership skewed (a few users
// own many certificates, many own one or none); generated_at over years with exact ties across
// kinds; spas and templates referenced unevenly; JSON payloads of realistic size.
TEST(Generator, DataIsRealistic) {
  const DatasetSpec spec{20000, 42, {}};
  const Generator g(spec);
  std::map<std::string, std::uint64_t> owned, spa_refs, template_refs;
  std::map<std::string, std::set<int>> kinds_at;  // generated_at -> kinds issued at that instant
  std::uint64_t certs = 0, public_count = 0, payload_bytes = 0;
  std::string min_at = "9999", max_at;
  for (const auto& t : g.tables()) {
    if (t.kind_index < 0) continue;
    for (const auto& row : parse(all_rows(g, t))) {
      ++certs;
      public_count += row[7] == "t";
      ++owned[row[4]];
      ++spa_refs[row[3]];
      ++template_refs[row[2]];
      kinds_at[row[8]].insert(t.kind_index);
      min_at = std::min(min_at, row[8]);
      max_at = std::max(max_at, row[8]);
      payload_bytes += row[11].size();
    }
  }
  const double public_share = static_cast<double>(public_count) / static_cast<double>(certs);
  EXPECT_NEAR(public_share, 0.75, 0.02);

  std::vector<std::uint64_t> counts;
  for (const auto& [user, n] : owned) counts.push_back(n);
  std::sort(counts.begin(), counts.end());
  const auto users = spec.users();
  const auto none = users - counts.size();
  const auto one = static_cast<std::uint64_t>(std::count(counts.begin(), counts.end(), 1u));
  EXPECT_GE(none, users / 5) << "many users own no certificate";
  EXPECT_GE(one, users / 10) << "many users own exactly one";
  EXPECT_GE(counts.back(), 50 * counts[counts.size() / 2]) << "a few users own many";

  auto max_of = [](const auto& m) {
    std::uint64_t best = 0;
    for (const auto& [k, n] : m) best = std::max(best, n);
    return best;
  };
  EXPECT_GE(max_of(spa_refs), 3 * (certs / spec.spas())) << "spas referenced unevenly";
  EXPECT_GE(max_of(template_refs), 3 * (certs / spec.templates())) << "templates referenced unevenly";

  std::size_t cross_kind_ties = 0;
  for (const auto& [at, kinds] : kinds_at) cross_kind_ties += kinds.size() > 1;
  EXPECT_GE(cross_kind_ties, 3u) << "exact generated_at ties across certificate kinds";
  EXPECT_LE(min_at.substr(0, 4), "2019");
  EXPECT_GE(max_at.substr(0, 4), "2025");

  const double avg_payload = static_cast<double>(payload_bytes) / static_cast<double>(certs);
  EXPECT_GT(avg_payload, 400);
  EXPECT_LT(avg_payload, 2000);
}
