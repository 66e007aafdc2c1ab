// reports/flamegraph on hand-written perf script output: the collapser, the folded format, the
// flame graph SVG, the top functions and the differences between two profiles. No perf needed.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "certbench/core/errors.hpp"
#include "certbench/reports/flamegraph.hpp"
#include "support/text.hpp"
using certbench::testing::has;

namespace {

using namespace certbench::reports;

// Three samples of certbench's thread as `perf script -F comm,tid,time,event,ip,sym,dso` prints
// them (leaf first), with a kernel frame, a recursive sort, an unknown frame and perf's chatter.
const char* kClientScript =
    "Warning:\n"
    "1 out of order events recorded.\n"
    "certbench  4242   100.000001: cpu-clock: \n"
    "\t    55d5d5 certbench::impl_common::decode_certificate(certbench::db::Result const&, unsigned long)+0x1f (/b/certbench)\n"
    "\t    55d000 certbench::impl_naive::Listings::do_public_certificates(certbench::PageRequest const&)+0x40 (/b/certbench)\n"
    "\t    55c000 main+0x10 (/b/certbench)\n"
    "\n"
    "certbench  4242   100.001001: cpu-clock: \n"
    "\tffffffff81000000 clear_page_erms+0x7 ([kernel.kallsyms])\n"
    "\t    561000 void std::__introsort_loop<Model*, long>(Model*, Model*, long)+0x3f (/b/certbench)\n"
    "\t    561000 void std::__introsort_loop<Model*, long>(Model*, Model*, long)+0x3f (/b/certbench)\n"
    "\t    55d000 certbench::impl_naive::Listings::do_public_certificates(certbench::PageRequest const&)+0x88 (/b/certbench)\n"
    "\t    55c000 main+0x10 (/b/certbench)\n"
    "\n"
    "certbench  4242   100.002001: cpu-clock: \n"
    "\t    7f1234 [unknown] (/usr/lib/x86_64-linux-gnu/libpq.so.5.15)\n"
    "\t    55d000 certbench::impl_naive::Listings::do_public_certificates(certbench::PageRequest const&)+0x40 (/b/certbench)\n"
    "\t    55c000 main+0x10 (/b/certbench)\n";

const char* kDecode = "certbench::impl_common::decode_certificate";
const char* kListing = "certbench::impl_naive::Listings::do_public_certificates";

}  // namespace

TEST(FlameGraph, FrameNamesLoseOffsetsParametersAndReturnTypes) {
  EXPECT_EQ(frame_name("ExecSeqScan+0x12"), "ExecSeqScan");
  EXPECT_EQ(frame_name("void std::__introsort_loop<int*, long>(int*, int*, long)+0x3f"), "std::__introsort_loop<int*, long>");
  EXPECT_EQ(frame_name("(anonymous namespace)::load_every(certbench::db::Connection&) const"),
            "(anonymous namespace)::load_every");
  EXPECT_EQ(frame_name("X::operator()(int) const"), "X::operator()");
  EXPECT_EQ(frame_name("operator new(unsigned long)"), "operator new");
  EXPECT_EQ(frame_name("f(int) [clone .cold]"), "f");
  EXPECT_EQ(frame_name("a;b"), "a:b");
  EXPECT_EQ(frame_name("[unknown]", "/usr/lib/x86_64-linux-gnu/libc.so.6"), "[libc.so.6]");
  EXPECT_EQ(frame_name("", "[unknown]"), "[unknown]");
  EXPECT_EQ(frame_name("[unknown]"), "[unknown]");
}

TEST(FlameGraph, CollapsesPerfScriptRootFirstWithKernelFramesMarked) {
  const auto folded = collapse_perf_script(kClientScript);
  EXPECT_EQ(folded.samples(), 3u);
  const std::string text = folded_text(folded);
  EXPECT_EQ(text,
            "certbench;main;certbench::impl_naive::Listings::do_public_certificates;[libpq.so.5.15] 1\n"
            "certbench;main;certbench::impl_naive::Listings::do_public_certificates;"
            "certbench::impl_common::decode_certificate 1\n"
            "certbench;main;certbench::impl_naive::Listings::do_public_certificates;std::__introsort_loop<Model*, long>;"
            "std::__introsort_loop<Model*, long>;clear_page_erms_[k] 1\n");
  // The same stack twice adds up; the folded text reads back as it was.
  const std::string twice = std::string(kClientScript) + "\n" + kClientScript;
  EXPECT_EQ(collapse_perf_script(twice).samples(), 6u);
  EXPECT_EQ(parse_folded(text).stacks, folded.stacks);
  EXPECT_TRUE(collapse_perf_script("").stacks.empty());
}

TEST(FlameGraph, ParseFoldedAddsUpAndRefusesLinesWithoutACount) {
  const auto folded = parse_folded("a;b 2\n\na;b 3\na;c 1\n");
  EXPECT_EQ(folded.stacks.at("a;b"), 5u);
  EXPECT_EQ(folded.samples(), 6u);
  EXPECT_THROW(parse_folded("a;b 2\na;b\n"), certbench::InputError);
  EXPECT_THROW(parse_folded("a;b two\n"), certbench::InputError);
}

TEST(FlameGraph, TopFunctionsBySelfAndTotalCountRecursionOnce) {
  const auto times = function_times(collapse_perf_script(kClientScript));
  auto find = [&](const std::string& name) {
    auto it = std::find_if(times.begin(), times.end(), [&](const FunctionTime& f) { return f.name == name; });
    EXPECT_NE(it, times.end()) << name;
    return it == times.end() ? FunctionTime{} : *it;
  };
  const auto listing = find(kListing);
  EXPECT_EQ(listing.self, 0u);
  EXPECT_EQ(listing.total, 3u);
  EXPECT_DOUBLE_EQ(listing.total_share, 1.0);
  const auto sort = find("std::__introsort_loop<Model*, long>");
  EXPECT_EQ(sort.total, 1u);  // twice on one stack, one sample
  EXPECT_EQ(sort.self, 0u);
  EXPECT_EQ(find(kDecode).self, 1u);
  EXPECT_EQ(find("clear_page_erms_[k]").self, 1u);
  for (const auto& f : times) EXPECT_NE(f.name, "certbench");  // thread names are not functions
  EXPECT_GE(times.front().self, times.back().self);

  const auto table = top_functions_table(collapse_perf_script(kClientScript), 10, 200);
  EXPECT_TRUE(has(table, "3 samples"));
  EXPECT_TRUE(has(table, "by self time"));
  EXPECT_TRUE(has(table, "by total time"));
  EXPECT_TRUE(std::regex_search(table, std::regex(R"(100\.0%\s+0\.0%\s+certbench::impl_naive::Listings)"))) << table;
}

TEST(FlameGraph, SvgHasARectangleWithATitlePerFrameWidthsBySamples) {
  const auto folded = parse_folded("t;a;b 3\nt;a;c<int> 1\n");
  FlameGraphOptions options;
  options.title = "a & b";
  options.width = 1020;  // 1000 pixels inside the margins
  const std::string svg = flame_graph_svg(folded, options);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_TRUE(has(svg, "</svg>"));
  EXPECT_TRUE(has(svg, "a &amp; b"));
  EXPECT_TRUE(has(svg, "<title>c&lt;int&gt; (1 sample, 25.0%)</title>"));
  EXPECT_TRUE(has(svg, "<title>b (3 samples, 75.0%)</title>"));
  EXPECT_TRUE(has(svg, "<title>all (4 samples, 100.0%)</title>"));
  // all, t, a, b, c: five frames, each a group with a rectangle; b is 750 pixels wide, c 250.
  const auto count = [&](const std::string& part) {
    std::size_t n = 0;
    for (auto at = svg.find(part); at != std::string::npos; at = svg.find(part, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<g><title>"), 5u);
  EXPECT_EQ(count("</g>"), 5u);
  EXPECT_TRUE(has(svg, "width=\"750.00\""));
  EXPECT_TRUE(has(svg, "width=\"250.00\""));
  EXPECT_TRUE(has(svg, "width=\"1000.00\""));
  // An empty profile is a valid document with its title only.
  const std::string empty = flame_graph_svg(FoldedStacks{}, options);
  EXPECT_TRUE(has(empty, "</svg>"));
  EXPECT_FALSE(has(empty, "<g><title>"));
}

TEST(FlameGraph, FrameKindsGiveTheColours) {
  EXPECT_EQ(frame_kind("clear_page_erms_[k]"), FrameKind::kernel);
  EXPECT_EQ(frame_kind(kDecode), FrameKind::certbench);
  EXPECT_EQ(frame_kind("PQgetvalue"), FrameKind::database);
  EXPECT_EQ(frame_kind("pqxx::connection::exec"), FrameKind::database);
  EXPECT_EQ(frame_kind("std::__introsort_loop<int*, long>"), FrameKind::cpp);
  EXPECT_EQ(frame_kind("ExecSeqScan"), FrameKind::other);
  const auto svg = flame_graph_svg(parse_folded("t;ExecSeqScan 1\nt;certbench::f 1\n"));
  std::smatch m;
  std::regex fill(R"re(<title>(ExecSeqScan|certbench::f) [^<]*</title><rect [^>]*fill="(rgb\(\d+,\d+,\d+\))")re");
  std::map<std::string, std::string> fills;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), fill); it != std::sregex_iterator(); ++it)
    fills[(*it)[1]] = (*it)[2];
  ASSERT_EQ(fills.size(), 2u) << svg;
  EXPECT_NE(fills["ExecSeqScan"], fills["certbench::f"]);
}

TEST(FlameGraph, ShareChangesListWhatGrewAndWhatShrank) {
  const auto before = parse_folded("t;main;decode 6\nt;main;sort 2\nt;main;wait 2\n");
  const auto after = parse_folded("t;main;decode 1\nt;main;wait 8\nt;main;index 1\n");
  const auto changes = share_changes(before, after);
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.front().name, "wait");
  EXPECT_NEAR(changes.front().self_change(), 0.8 - 0.2, 1e-9);
  EXPECT_EQ(changes.back().name, "decode");
  EXPECT_NEAR(changes.back().self_change(), 0.1 - 0.6, 1e-9);
  auto sort = std::find_if(changes.begin(), changes.end(), [](const ShareChange& c) { return c.name == "sort"; });
  ASSERT_NE(sort, changes.end());
  EXPECT_DOUBLE_EQ(sort->self_after, 0.0);  // absent after: share 0
  const auto table = share_changes_table(before, after, "naive", "limited");
  EXPECT_TRUE(has(table, "naive (10 samples) -> limited (10 samples)"));
  const auto grew = table.find("grew the most"), shrank = table.find("shrank the most");
  ASSERT_NE(grew, std::string::npos);
  ASSERT_NE(shrank, std::string::npos);
  EXPECT_LT(table.find("wait"), shrank);
  EXPECT_GT(table.find("decode"), shrank);
  EXPECT_TRUE(has(table, "+60.0"));
  EXPECT_TRUE(has(table, "-50.0"));
}
