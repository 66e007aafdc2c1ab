// certbench profile as a user meets it: both sides' folded stacks, flame graphs, top functions and
// EXPLAIN on a small dataset, with the frames each implementation is known for; no perf, exit 3
// and one line; bad usage, exit 2. Release build (label measure): the binary as it is profiled.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "certbench/sys/process.hpp"
#include "support/cluster.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using certbench::testing::run_certbench;
using certbench::testing::shared_cluster;
using certbench::testing::has;
using certbench::testing::slurp;
using certbench::testing::lines;

namespace {

fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("certbench-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Whether perf can sample here at all (a container may forbid perf_event_open).
std::string perf_unavailable() {
  const auto perf = certbench::sys::find_program("perf");
  if (!perf) return "perf is not installed";
  const auto r = certbench::sys::run_capture({*perf, "stat", "-e", "cpu-clock", "-x,", "true"});
  return r.exit_code == 0 ? "" : "perf cannot sample here: " + r.err.substr(0, r.err.find('\n'));
}

bool any_of_in(const std::string& text, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return has(text, w); });
}

}  // namespace

TEST(CliProfile, NaiveAgainstLimitedWritesBothSidesWithTheFramesEachIsKnownFor) {
  if (const auto why = perf_unavailable(); !why.empty()) GTEST_SKIP() << why;
  const auto parent = fresh_dir("profile");
  const auto out = parent / "p";
  const auto r = run_certbench({"profile", "public", "--impl", "naive", "--against", "limited", "--seconds", "1",
                                "--scale", "1000", "--schema", "cli_profile", "--out", out.string(), "--keep-perf-data",
                                "--dsn", shared_cluster().dsn()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "calls/s")) << r.out;
  EXPECT_TRUE(has(r.out, "without perf")) << r.out;
  EXPECT_TRUE(has(r.out, "by self time")) << r.out;
  EXPECT_TRUE(has(r.out, "grew the most")) << r.out;
  for (const char* impl : {"naive", "limited"})
    for (const char* file : {"client.folded", "client.svg", "client.top.txt", "server.folded", "server.svg",
                             "server.top.txt", "explain.txt"}) {
      const auto path = out / impl / file;
      ASSERT_TRUE(fs::exists(path)) << path;
      EXPECT_GT(fs::file_size(path), 0u) << path;
    }
  for (const char* file : {"summary.txt", "diff.client.txt", "diff.server.txt"}) EXPECT_TRUE(fs::exists(out / file)) << file;
  // Kept: one recording of every CPU, split by thread into the two sides, where perf may make one
  // (root with CAP_PERFMON, or perf_event_paranoid <= 0); else one recording a side.
  for (const char* impl : {"naive", "limited"}) {
    const bool machine = fs::exists(out / impl / "perf.data");
    const bool sides = fs::exists(out / impl / "client.perf.data") && fs::exists(out / impl / "server.perf.data");
    EXPECT_TRUE(machine != sides) << impl << ": one recording of every CPU, or one a side";
  }
  // Nothing but the folder itself is left beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(parent), fs::directory_iterator()), 1);

  // The naive listing decodes every row and sorts them in memory, over sequential scans.
  const auto naive_client = slurp(out / "naive" / "client.folded");
  EXPECT_TRUE(has(naive_client, "certbench::impl_common::decode_certificate")) << naive_client.substr(0, 4000);
  EXPECT_TRUE(any_of_in(naive_client, {"std::__introsort_loop", "std::__insertion_sort", "std::sort",
                                       "std::__unguarded_linear_insert", "sort_and_slice",
                                       "certbench::listed_before"}))
      << naive_client.substr(0, 4000);
  const auto naive_server = slurp(out / "naive" / "server.folded");
  // Debian's postgres exports its global functions only: the static ExecSeqScan and SeqNext show
  // as [postgres] (unless its debug symbols are installed), the heap scan they call by name.
  EXPECT_TRUE(any_of_in(naive_server, {"ExecSeqScan", "SeqNext", "heap_getnextslot"})) << naive_server.substr(0, 4000);
  EXPECT_TRUE(has(naive_server, "PostgresMain")) << "the backend's stacks unwind to its main loop";
  // Each side holds its own processes' samples and none of the other's.
  EXPECT_FALSE(has(naive_client, "PostgresMain")) << naive_client.substr(0, 4000);
  EXPECT_FALSE(has(naive_server, "certbench::")) << naive_server.substr(0, 4000);
  // The limited one reads each table's newest public rows through an index.
  const auto limited_server = slurp(out / "limited" / "server.folded");
  EXPECT_TRUE(any_of_in(limited_server, {"ExecIndexScan", "IndexNext", "index_getnext_slot", "btgettuple"}))
      << limited_server.substr(0, 4000);
  // Each line of folded stacks is "frame;frame;... count".
  std::istringstream in(naive_client);
  for (std::string line; std::getline(in, line);) {
    ASSERT_NE(line.rfind(' '), std::string::npos) << line;
    EXPECT_GT(std::stoull(line.substr(line.rfind(' ') + 1)), 0u) << line;
  }
  const auto svg = slurp(out / "naive" / "client.svg");
  EXPECT_TRUE(has(svg, "<svg")) << svg.substr(0, 200);
  EXPECT_TRUE(has(svg, "certbench::impl_common::decode_certificate ("));

  const auto naive_explain = slurp(out / "naive" / "explain.txt");
  EXPECT_TRUE(has(naive_explain, "Seq Scan")) << naive_explain;
  EXPECT_TRUE(has(naive_explain, "Buffers:")) << naive_explain;
  EXPECT_TRUE(has(naive_explain, "ms in the server")) << naive_explain;
  const auto limited_explain = slurp(out / "limited" / "explain.txt");
  EXPECT_TRUE(has(limited_explain, "Index")) << limited_explain;
  fs::remove_all(parent);
}

TEST(CliProfile, WithoutPerfExitsThreeWithOneLineAndWritesNothing) {
  const auto parent = fresh_dir("profile-noperf");
  const auto out = parent / "p";
  const auto r = run_certbench({"profile", "public", "--seconds", "1", "--out", out.string(), "--dsn",
                                "postgresql://127.0.0.1:1/none"},
                               {"CERTBENCH_PERF=/nonexistent/perf"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(has(r.err, "perf is not installed")) << r.err;
  EXPECT_TRUE(has(r.err, "linux-perf")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(std::distance(fs::directory_iterator(parent), fs::directory_iterator()), 0);
  fs::remove_all(parent);
}

TEST(CliProfile, BadUsageExitsTwoBeforeAnyWork) {
  const auto parent = fresh_dir("profile-usage");
  std::ofstream(parent / "something") << "x";
  const std::vector<std::vector<std::string>> cases = {
      {"profile"},
      {"profile", "everything"},
      {"profile", "public", "--impl", "bogus"},
      {"profile", "public", "--impl", "naive", "--against", "naive"},
      {"profile", "public", "--against", "bogus"},
      {"profile", "public", "--seconds", "0"},
      {"profile", "admin", "--user", "3"},
  };
  for (const auto& args : cases) {
    const auto r = run_certbench(args, {"CERTBENCH_PERF=/nonexistent/perf"});
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 2u) << joined << "\n" << r.err;
    EXPECT_TRUE(has(r.err, "usage: certbench")) << r.err;
  }
  // A folder that is there and not empty: bad input, one line, and it is left as it was.
  const auto r = run_certbench({"profile", "public", "--out", parent.string()}, {"CERTBENCH_PERF=/nonexistent/perf"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(has(r.err, "not an empty folder")) << r.err;
  EXPECT_EQ(std::distance(fs::directory_iterator(parent), fs::directory_iterator()), 1);
  fs::remove_all(parent);
}

TEST(CliProfile, RunWithProfileLinksTheHeadlineProfilesFromItsReport) {
  if (const auto why = perf_unavailable(); !why.empty()) GTEST_SKIP() << why;
  const auto parent = fresh_dir("run-profile");
  const auto out = parent / "run";
  const auto r = run_certbench({"run", "--quick", "--only", "listing", "--scale", "1000", "--schema", "cli_profile",
                                "--profile", "--profile-seconds", "0.5", "--out", out.string(), "--dsn",
                                shared_cluster().dsn()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* listing : {"get_public_certificates", "get_all_certificates_with_users"}) {
    for (const char* impl : {"naive", "limited"})
      for (const char* file : {"client.svg", "server.svg", "client.top.txt", "explain.txt"})
        EXPECT_TRUE(fs::exists(out / "profile" / listing / impl / file)) << listing << "/" << impl << "/" << file;
    EXPECT_TRUE(fs::exists(out / "profile" / listing / "diff.client.txt")) << listing;
  }
  for (const auto& entry : fs::directory_iterator(out / "profile"))
    EXPECT_NE(entry.path().filename().string().front(), '.') << "left behind: " << entry.path();
  const auto md = slurp(out / "report.md");
  ASSERT_TRUE(has(md, "## Profiles")) << md.substr(md.size() > 3000 ? md.size() - 3000 : 0);
  EXPECT_TRUE(has(md, "(profile/get_public_certificates/naive/client.svg)"));
  EXPECT_TRUE(has(md, "(profile/get_all_certificates_with_users/limited/server.svg)"));
  EXPECT_TRUE(has(md, "(profile/get_public_certificates/diff.client.txt)"));
  fs::remove_all(parent);
}

// A perf that runs but will not record: the run's own outputs stay whole, no profile is left
// half-made, and the run says why and exits 3.
TEST(CliProfile, RunWhoseProfilesFailKeepsItsResultsAndExitsThree) {
  const auto parent = fresh_dir("run-profile-fails");
  const auto out = parent / "run";
  const auto perf = parent / "perf";
  {
    std::ofstream script(perf);
    script << "#!/bin/sh\n"
              "[ \"$1\" = --version ] && { echo 'perf version 6.1'; exit 0; }\n"
              "echo 'this perf records nothing' >&2\n"
              "exit 1\n";
  }
  fs::permissions(perf, fs::perms::owner_all);
  const auto r = run_certbench({"run", "--quick", "--only", "listing", "--scale", "1000", "--schema", "cli_profile",
                                "--profile", "--profile-seconds", "0.5", "--out", out.string(), "--dsn",
                                shared_cluster().dsn()},
                               {"CERTBENCH_PERF=" + perf.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_TRUE(has(r.err, "the profiles could not be made")) << r.err;
  EXPECT_TRUE(has(r.err, "this perf records nothing")) << r.err;
  EXPECT_TRUE(fs::exists(out / "results.json"));
  const auto md = slurp(out / "report.md");
  EXPECT_TRUE(has(md, "get_public_certificates")) << md.substr(0, 2000);
  EXPECT_FALSE(has(md, "## Profiles"));
  if (fs::exists(out / "profile")) {
    EXPECT_EQ(std::distance(fs::directory_iterator(out / "profile"), fs::directory_iterator()), 0)
        << "a half-made profile was left in " << (out / "profile");
  }
  fs::remove_all(parent);
}

TEST(CliProfile, RunWithProfileButNoPerfExitsThreeBeforeMeasuring) {
  const auto parent = fresh_dir("run-profile-noperf");
  const auto out = parent / "run";
  const auto r = run_certbench({"run", "--quick", "--only", "listing", "--profile", "--out", out.string(), "--dsn",
                                "postgresql://127.0.0.1:1/none"},
                               {"CERTBENCH_PERF=/nonexistent/perf"});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(has(r.err, "perf is not installed")) << r.err;
  EXPECT_FALSE(fs::exists(out));
  fs::remove_all(parent);
}
