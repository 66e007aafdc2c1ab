// The certbench binary as a user meets it: help, exit codes, one-line errors, db and seed.
#include <gtest/gtest.h>

#include <regex>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/sys/files.hpp"
#include "support/cluster.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using certbench::testing::run_certbench;
using certbench::testing::shared_cluster;
using certbench::testing::has;
using certbench::testing::lines;

namespace {
}  // namespace

TEST(Cli, HelpAndVersion) {
  auto help = run_certbench({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* word : {"db", "seed", "run", "Exit codes"}) EXPECT_TRUE(has(help.out, word)) << word;
  auto seed_help = run_certbench({"seed", "--help"});
  EXPECT_EQ(seed_help.exit_code, 0);
  for (const char* word : {"--scale", "--seed", "--indexes", "--force", "--dsn", "--data-dir"})
    EXPECT_TRUE(has(seed_help.out, word)) << word;
  auto version = run_certbench({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(has(version.out, "certbench 0."));
}

TEST(Cli, BadUsageExitsTwoWithTheUsageLine) {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"frobnicate"},
      {"seed"},
      {"seed", "--scale", "1000", "--bogus"},
      {"seed", "--scale", "0"},
      {"seed", "--scale", "-5"},
      {"seed", "--scale", "1000000000"},
      {"seed", "--scale", "lots"},
      {"seed", "--scale", "1000", "--indexes", "some"},
      {"seed", "--scale", "1000", "--schema", "Robert'); DROP TABLE students;--"},
      {"seed", "--scale", "1000", "--schema", "public"},
      {"seed", "--scale", "1000", "--dsn", "x", "--data-dir", "/tmp/x"},
      {"db"},
      {"db", "up", "--port", "5"},
      {"run", "--redis", "http://cache:6379"},
      {"run", "--paths", "saves,caching", "--full"},  // --full adds nothing to them
      {"show", "public", "--after", "C", "--page", "2"},
      {"run", "--require-push"},
      {"run", "--linger", "5"},
      {"run", "--scales", "1k"},
      {"run", "--profile-seconds", "2"},
      {"seed", "--scale", "1000", "--seed", "abc"},
      {"seed", "--scale", "1000", "--jobs", "0"},
      {"seed", "--scale", "1000", "--jobs", "17"},
      {"run", "--full", "--scales", "1k,,10k"},
      {"run", "--full", "--scales", "0"},
      {"run", "--loop-concurrency", "0"},
      {"run", "--loop-sessions", "33"},
      {"run", "--loop-seconds", "0"},
      {"run", "--save-seconds", "0"},
      {"run", "--listen", "127.0.0.1:0", "--linger", "90000"},
      {"run", "--profile", "--profile-seconds", "0.1"},
      {"run", "--textfile", "/no/such/dir/m.prom"},
      {"profile", "public", "--frequency", "5"},
      {"load", "public", "--clients", "0"},
      {"load", "public", "--seconds", "0.05"},
      {"load", "public", "--sessions", "65"},
      {"saves", "--pool-threads", "0"},
      {"saves", "--seconds", "0.01"},
      {"serve", "--max-body", "0"},
      {"serve", "--max-body", "lots"},
      {"serve", "--max-connections", "0"},
      {"load-http", "http://[::1/", "--rate", "10"},
      {"load-http", "http://127.0.0.1:1/", "--rate", "10", "--seconds", "100000"},
      {"load-http", "http://127.0.0.1:1/", "--rate", "10", "--deadline", "4000"},
      {"load-http", "http://127.0.0.1:1/", "--rate", "10", "--connections", "0"},
      {"bench", "--suite", "everything"},
      {"bench", "--redis", "redis://h:0"},
      {"bench", "--benchmark_format=xml"},
      {"bench", "--benchmark_out_format=yaml"},
      {"bench", "--benchmark_format=json"},  // both suites: two documents on one stdout
      {"saves", "--impl", "naive,bogus"},
      {"saves", "--concurrency", "0"},
      {"saves", "--decode-threads", "0"},
      {"saves", "--concurrency", "1,,2"},
      {"saves", "--image-size", "1"},
      {"saves", "--file-size", "1"},
      {"saves", "--path", "save_base64_image,save_everything"},
      {"serve", "--listen", "8080"},
      {"serve", "--listen", "127.0.0.1:70000"},
      {"serve", "--threads", "0"},
      {"serve", "--max-header", "1"},
      {"serve", "--idle-timeout", "0"},
      {"serve", "--redis", "http://x"},
  };
  for (const auto& args : cases) {
    auto r = run_certbench(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 2u) << joined << "\n" << r.err;  // the error, then the usage line
    EXPECT_TRUE(has(r.err, "usage: certbench")) << joined << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << joined;
  }
}

TEST(Cli, UnreachableDatabaseExitsThreeNamingServerAndReason) {
  auto refused = run_certbench({"seed", "--scale", "1000", "--dsn", "postgresql://certbench@127.0.0.1:1/postgres"});
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_EQ(lines(refused.err), 1u) << refused.err;
  EXPECT_TRUE(has(refused.err, "127.0.0.1")) << refused.err;
  EXPECT_TRUE(has(refused.err, "port 1")) << refused.err;
  EXPECT_TRUE(has(refused.err, "refused")) << refused.err;

  auto garbage = run_certbench({"seed", "--scale", "1000", "--dsn", "this is not a dsn"});
  EXPECT_EQ(garbage.exit_code, 3) << garbage.err;
  EXPECT_EQ(lines(garbage.err), 1u) << garbage.err;
  EXPECT_TRUE(has(garbage.err, "this is not a dsn")) << garbage.err;

  auto via_env = run_certbench({"seed", "--scale", "1000"}, {"DATABASE_URL=postgresql://u:secret@127.0.0.1:1/db"});
  EXPECT_EQ(via_env.exit_code, 3) << via_env.err;
  EXPECT_FALSE(has(via_env.err, "secret")) << "passwords never printed";
}

TEST(Cli, SeedReportsAndReusesTheDataset) {
  const std::string dsn = shared_cluster().dsn();
  auto first = run_certbench({"seed", "--scale", "2k", "--seed", "9", "--schema", "cli_seed", "--dsn", dsn, "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto j = nlohmann::json::parse(first.out);
  EXPECT_EQ(j["status"], "seeded");
  EXPECT_EQ(j["scale"], 2000);
  EXPECT_EQ(j["tables"]["spa_therapist_certificates"]["rows"], 600);
  EXPECT_GT(j["table_bytes"].get<double>(), 1e6);

  auto second = run_certbench({"seed", "--scale", "2000", "--seed", "9", "--schema", "cli_seed", "--dsn", dsn});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(has(second.out, "dataset ready")) << second.out;

  certbench::db::Connection c(dsn);
  c.exec("CREATE SCHEMA cli_foreign");
  auto refused = run_certbench({"seed", "--scale", "1k", "--schema", "cli_foreign", "--dsn", dsn});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(lines(refused.err), 1u) << refused.err;
  EXPECT_TRUE(has(refused.err, "--force")) << refused.err;
}

TEST(Cli, DbUpStatusDown) {
  auto parent = certbench::sys::make_unique_dir("/var/tmp", "certbench-test-cli-");
  fs::permissions(parent, fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  const std::string dir = (parent / "pgdata").string();

  auto up = run_certbench({"db", "up", "--data-dir", dir});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  ASSERT_EQ(lines(up.out), 1u) << "the connection string is the only line on stdout";
  const std::string dsn = up.out.substr(0, up.out.size() - 1);
  EXPECT_EQ(certbench::db::Connection(dsn).exec("SELECT 1").text(0, 0), "1");

  auto again = run_certbench({"db", "up", "--data-dir", dir});
  EXPECT_EQ(again.out, up.out) << "reused, same server";
  EXPECT_EQ(run_certbench({"db", "status", "--data-dir", dir}).exit_code, 0);

  auto seeded = run_certbench({"seed", "--scale", "500", "--data-dir", dir});
  EXPECT_EQ(seeded.exit_code, 0) << seeded.err;
  EXPECT_EQ(run_certbench({"db", "status", "--data-dir", dir}).exit_code, 0) << "--data-dir leaves it running";

  EXPECT_EQ(run_certbench({"db", "down", "--data-dir", dir}).exit_code, 0);
  auto status = run_certbench({"db", "status", "--data-dir", dir});
  EXPECT_EQ(status.exit_code, 3);
  EXPECT_TRUE(has(status.out, "stopped"));

  // The dataset survived: up again, and seeding the same fingerprint is a no-op.
  ASSERT_EQ(run_certbench({"db", "up", "--data-dir", dir}).exit_code, 0);
  auto reused = run_certbench({"seed", "--scale", "500", "--data-dir", dir});
  EXPECT_TRUE(has(reused.out, "dataset ready")) << reused.out << reused.err;
  EXPECT_EQ(run_certbench({"db", "down", "--data-dir", dir}).exit_code, 0);
  fs::remove_all(parent);
}

TEST(Cli, ShowPrintsAPageItsCostAndACursor) {
  const std::string dsn = shared_cluster().dsn();
  const std::vector<std::string> base{"--schema", "cli_show", "--dsn", dsn};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), base.begin(), base.end());
    return run_certbench(args);
  };
  ASSERT_EQ(run_certbench({"seed", "--scale", "2000", "--schema", "cli_show", "--dsn", dsn}).exit_code, 0);

  auto first = with({"show", "endpoint", "--impl", "naive", "--size", "5", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto j = nlohmann::json::parse(first.out);
  ASSERT_EQ(j["rows"].size(), 5u);
  for (const char* key : {"kind", "id", "generated_at", "recipient_name", "spa_name", "template_name"})
    EXPECT_TRUE(j["rows"][0].contains(key)) << key;
  EXPECT_TRUE(j["rows"][0]["generated_at"].get<std::string>().ends_with("Z"));
  // Five tables, then a spa and a template per row; this first call also prepares its seven statements.
  EXPECT_EQ(j["stats"]["round_trips"], (5 + 2 * 5) + (5 + 2)) << "prepared: five tables, the spa and the template lookups";
  EXPECT_GT(j["stats"]["rows_received"].get<int>(), 1000);
  EXPECT_TRUE(j["stats"].contains("peak_heap_bytes"));
  ASSERT_TRUE(j["next_cursor"].is_string());

  // The cursor's page is the second numbered page.
  auto second = with({"show", "endpoint", "--size", "5", "--page", "2", "--json"});
  auto after = with({"show", "endpoint", "--size", "5", "--after", j["next_cursor"].get<std::string>(), "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(nlohmann::json::parse(after.out)["rows"], nlohmann::json::parse(second.out)["rows"]);

  auto unknown = with({"show", "user", "--user", "99999999", "--json"});
  ASSERT_EQ(unknown.exit_code, 0) << unknown.err;
  EXPECT_TRUE(nlohmann::json::parse(unknown.out)["rows"].empty());

  std::string forged = j["next_cursor"];
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  const std::vector<std::vector<std::string>> bad = {
      {"show", "public", "--page", "0"},
      {"show", "public", "--size", "0"},
      {"show", "public", "--size", "1001"},
      {"show", "public", "--after", "not-a-cursor"},
      {"show", "public", "--after", forged},
      {"show", "admin", "--after", j["next_cursor"]},  // another listing's cursor
      {"show", "public", "--impl", "naive", "--after", j["next_cursor"]},
      {"show", "user", "--user", "-3"},
      {"show", "user"},
      {"show", "public", "--user", "3"},
      {"show", "everything"},
      {"show", "public", "--impl", "fastest"},
  };
  for (const auto& args : bad) {
    auto r = with(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << joined;
    EXPECT_GE(lines(r.err), 1u);
    EXPECT_LE(lines(r.err), 2u) << joined << "\n" << r.err;
  }
}

// Google Benchmark's output flags reach the programs and behave as it documents them, with
// --goals too; no colour codes into a pipe even when $TERM names a colour terminal.
TEST(Cli, BenchFollowsGoogleBenchmarksOutputFlags) {
#ifndef CERTBENCH_HAVE_BENCHMARKS
  GTEST_SKIP() << "the Google Benchmark programs are not built";
#endif
  const std::vector<std::string> base{"bench", "--scales", "500", "--dsn", shared_cluster().dsn(), "--goals",
                                      "--benchmark_min_time=0.001",
                                      "--benchmark_filter=^get_public_certificates/naive/scale:500/page:1/|^get_template_by_id/naive/"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), base.begin(), base.end());
    return run_certbench(args, {"TERM=xterm-256color"});
  };
  auto json = with({"--suite", "listing", "--benchmark_format=json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_FALSE(has(json.out, "\x1b")) << json.out;
  const auto j = nlohmann::json::parse(json.out);  // all of stdout
  ASSERT_TRUE(j["benchmarks"].is_array());
  EXPECT_EQ(j["benchmarks"].size(), 1u) << json.out;
  EXPECT_TRUE(has(json.err, "the listing goals")) << "the verdicts beside JSON go to stderr";

  // Both suites: the console on stdout, and each program's runs in a file of its own.
  const auto dir = certbench::sys::make_unique_dir(certbench::sys::throwaway_parent(), "certbench-test-cli-bench-");
  auto both = with({"--benchmark_out=" + (dir / "runs.json").string()});
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_FALSE(has(both.out, "\x1b")) << both.out;
  EXPECT_TRUE(has(both.out, "get_public_certificates/naive/scale:500") && has(both.out, "get_template_by_id/naive"))
      << both.out;
  for (const char* suite : {"listing", "caching"}) {
    std::ifstream in(dir / (std::string("runs.") + suite + ".json"));
    ASSERT_TRUE(in) << suite;
    EXPECT_EQ(nlohmann::json::parse(in)["benchmarks"].size(), 1u) << suite;
  }
  fs::remove_all(dir);
}

// The newest row version of the dataset's certificate tables: an UPDATE (even to the same value)
// makes a newer one.
std::int64_t newest_certificate_row(const std::string& schema) {
  certbench::db::Connection c(shared_cluster().dsn());
  std::string union_all;
  for (const auto& kind : certbench::certificate_kinds())
    union_all += (union_all.empty() ? "" : " UNION ALL ") + std::string("SELECT xmin::text::bigint AS v FROM ") +
                 schema + "." + std::string(kind.table);
  return c.exec("SELECT max(v) FROM (" + union_all + ") AS rows").int64(0, 0);
}

TEST(Cli, SavesMeasuresEveryImplementationAtEachConcurrencyAndCleansUp) {
  const auto parent = certbench::sys::make_unique_dir(certbench::sys::throwaway_parent(), "certbench-test-cli-saves-");
  auto r = run_certbench({"saves", "--scale", "1000", "--schema", "cli_saves", "--concurrency", "1,2", "--seconds",
                          "0.1", "--image-size", "10k", "--save-dir", parent.string(), "--dsn", shared_cluster().dsn()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "of 10000 bytes, then its path recorded on the certificate row;")) << r.out;
  EXPECT_TRUE(has(r.out, "file saves on one event loop: save_base64_image")) << r.out;
  EXPECT_TRUE(has(r.out, "file saves on one event loop: save_certificate_file")) << r.out;
  for (const char* impl : {"naive", "aiofiles", "thread_pool", "io_uring", "write-only"})
    for (const char* c : {"1", "2"}) {
      const std::regex row(std::string("\\n  save_\\w+ +") + impl + " +" + c + " +" + c + " ");
      const auto rows = std::distance(std::sregex_iterator(r.out.begin(), r.out.end(), row), std::sregex_iterator());
      EXPECT_EQ(rows, 2) << impl << c << r.out;  // one row per save path
    }
  EXPECT_TRUE(has(r.out, "write-only: the disk's ceiling")) << r.out;
  EXPECT_TRUE(has(r.out, "at 2 concurrent, share of the disk's write-only ceiling")) << r.out;
  EXPECT_TRUE(std::filesystem::is_empty(parent));  // the run's directory of saved files is gone
  auto kept = run_certbench({"saves", "--scale", "1000", "--schema", "cli_saves", "--concurrency", "1", "--seconds",
                             "0.05", "--impl", "thread_pool", "--image-size", "10k", "--save-dir", parent.string(),
                             "--pool-threads", "2", "--decode-threads", "1", "--keep-files", "--dsn",
                             shared_cluster().dsn()});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_TRUE(has(kept.err, "saved files kept in " + parent.string())) << kept.err;
  EXPECT_FALSE(std::filesystem::is_empty(parent));
  std::filesystem::remove_all(parent);
  // The seconds of a point split into more windows (the samples of its intervals), or refused
  // when a window would be too short to hold a p99.
  auto two = run_certbench({"saves", "--scale", "1000", "--schema", "cli_saves", "--concurrency", "1", "--seconds",
                            "0.1", "--repetitions", "2", "--impl", "thread_pool", "--path", "save_certificate_file",
                            "--dsn", shared_cluster().dsn()});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_TRUE(std::regex_search(two.out, std::regex("\\n  save_certificate_file +thread_pool +1 +1 "))) << two.out;
  // The save alone: every request saves, none updates its certificate row (each does by default).
  const auto before = newest_certificate_row("cli_saves");
  auto alone = run_certbench({"saves", "--scale", "1000", "--schema", "cli_saves", "--concurrency", "2", "--seconds",
                              "0.1", "--impl", "thread_pool", "--image-size", "10k", "--no-record", "--dsn",
                              shared_cluster().dsn()});
  ASSERT_EQ(alone.exit_code, 0) << alone.err;
  EXPECT_TRUE(has(alone.out, "not recorded on the certificate row (--no-record: the save alone)")) << alone.out;
  EXPECT_TRUE(std::regex_search(alone.out, std::regex("\\n  save_base64_image +thread_pool +2 +2 +[1-9]"))) << alone.out;
  EXPECT_TRUE(has(alone.out, "at 2 concurrent, share of the disk's write-only ceiling")) << alone.out;
  EXPECT_EQ(newest_certificate_row("cli_saves"), before) << "a certificate row was updated";
  auto recorded = run_certbench({"saves", "--scale", "1000", "--schema", "cli_saves", "--concurrency", "2", "--seconds",
                                 "0.1", "--impl", "thread_pool", "--path", "save_certificate_file", "--dsn",
                                 shared_cluster().dsn()});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_GT(newest_certificate_row("cli_saves"), before) << "no certificate row was updated";
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"--repetitions", "1"},
                                              std::vector<std::string>{"--seconds", "0.05", "--repetitions", "10"},
                                              std::vector<std::string>{"--no-record", "--goals"}}) {
    std::vector<std::string> argv{"saves", "--scale", "1000", "--schema", "cli_saves", "--dsn", shared_cluster().dsn()};
    argv.insert(argv.end(), bad.begin(), bad.end());
    auto refused = run_certbench(argv);
    EXPECT_EQ(refused.exit_code, 2) << bad.back() << refused.err;
    EXPECT_TRUE(refused.err.starts_with("certbench saves: --")) << refused.err;
    EXPECT_TRUE(has(refused.err, "\nusage: certbench saves [")) << refused.err;  // the problem, then the usage line
  }
}
