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
  // Each bad command line, and a fragment of the one line it must get.
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{}, "A subcommand is required"},
      {{"frobnicate"}, "'frobnicate' is not a command (certbench --help lists them)"},
      {{"seed"}, "--scale is required"},
      {{"seed", "--scale", "1000", "--bogus"}, "not expected: --bogus"},
      {{"seed", "--scale", "0"}, "the scale must be between 1 and 100000000 (got 0)"},
      {{"seed", "--scale", "-5"}, "--scale takes a whole number, optionally with k or M (got '-5')"},
      {{"seed", "--scale", "1000000000"}, "(got 1000000000)"},
      {{"seed", "--scale", "lots"}, "(got 'lots')"},
      {{"seed", "--scale", "1000", "--indexes", "some"}, "--indexes must be none, review or best (got 'some')"},
      {{"seed", "--scale", "1000", "--schema", "Robert'); DROP TABLE students;--"}, "is not a valid schema name"},
      {{"seed", "--scale", "1000", "--schema", "public"}, "schema 'public' is not certbench's to manage"},
      {{"seed", "--scale", "1000", "--dsn", "x", "--data-dir", "/tmp/x"}, "--dsn excludes --data-dir"},
      {{"db"}, "A subcommand is required"},
      {{"db", "up", "--port", "5"}, "not expected"},
      {{"run", "--redis", "http://cache:6379"}, "no redis:// scheme: 'http://cache:6379'"},
      {{"run", "--only", "saves,caching", "--full"}, "--only names none of them"},  // --full adds nothing to them
      {{"show", "public", "--after", "C", "--page", "2"}, "--page excludes --after"},
      {{"run", "--require-push"}, "--require-push requires --pushgateway"},
      {{"run", "--linger", "5"}, "--linger requires --listen"},
      {{"run", "--scales", "1k"}, "--scales requires --full"},
      {{"run", "--profile-seconds", "2"}, "--profile-seconds requires --profile"},
      {{"seed", "--scale", "1000", "--seed", "abc"}, "--seed = abc"},
      {{"seed", "--scale", "1000", "--jobs", "0"}, "--jobs: Value 0 not in range 1 to 16"},
      {{"seed", "--scale", "1000", "--jobs", "17"}, "--jobs: Value 17 not in range 1 to 16"},
      {{"run", "--full", "--scales", "1k,,10k"}, "empty item in the list '1k,,10k'"},
      {{"run", "--full", "--scales", "0"}, "--scales takes sizes from 1 to 100000000 (got 0)"},
      {{"run", "--loop-concurrency", "0"}, "--loop-concurrency takes numbers from 1 to 1024 (got 0)"},
      {{"run", "--loop-sessions", "33"}, "--loop-sessions: Value 33 not in range 1 to 32"},
      {{"run", "--loop-seconds", "0"}, "--loop-seconds: Value 0 not in range"},
      {{"run", "--save-seconds", "0"}, "--save-seconds: Value 0 not in range"},
      {{"run", "--listen", "127.0.0.1:0", "--linger", "90000"}, "--linger: Value 90000 not in range"},
      {{"run", "--profile", "--profile-seconds", "0.1"}, "--profile-seconds: Value 0.1 not in range"},
      {{"run", "--stall-seconds", "0"}, "--stall-seconds: Value 0 not in range 1 to 86400"},
      {{"run", "--textfile", "/no/such/dir/m.prom"}, "/no/such/dir is not a directory"},
      {{"profile", "public", "--frequency", "5"}, "--frequency: Value 5 not in range 10 to 20000"},
      {{"load", "public", "--clients", "0"}, "--clients: Value 0 not in range 1 to 256"},
      {{"load", "public", "--seconds", "0.05"}, "--seconds: Value 0.05 not in range"},
      {{"load", "public", "--sessions", "65"}, "--sessions: Value 65 not in range 1 to 64"},
      {{"saves", "--pool-threads", "0"}, "--pool-threads: Value 0 not in range 1 to 256"},
      {{"saves", "--seconds", "0.01"}, "--seconds: Value 0.01 not in range"},
      {{"serve", "--max-body", "0"}, "--max-body must be at least 1"},
      {{"serve", "--max-body", "lots"}, "--max-body takes a whole number, optionally with k or M (got 'lots')"},
      {{"serve", "--max-connections", "0"}, "--max-connections must be at least 1"},
      {{"load-http", "http://[::1/", "--rate", "10"}, "unclosed [ in the URL 'http://[::1/'"},
      {{"load-http", "http://127.0.0.1:1/", "--rate", "10", "--seconds", "100000"}, "--seconds must be at most 86400"},
      {{"load-http", "http://127.0.0.1:1/", "--rate", "10", "--deadline", "4000"}, "--deadline must be at most 3600"},
      {{"load-http", "http://127.0.0.1:1/", "--rate", "10", "--connections", "0"}, "--connections: Value 0 not in range 1 to 10000"},
      {{"bench", "--suite", "everything"}, "--suite: everything not in {listing,caching,all}"},
      {{"bench", "--redis", "redis://h:0"}, "bad port: 'redis://h:0'"},
      {{"bench", "--benchmark_format=xml"}, "--benchmark_format must be console, json or csv (got 'xml')"},
      {{"bench", "--benchmark_out_format=yaml"}, "--benchmark_out_format must be console, json or csv (got 'yaml')"},
      {{"bench", "--benchmark_format=json"}, "one program's document"},  // both suites: two documents on one stdout
      {{"saves", "--impl", "naive,bogus"}, "--impl takes naive, aiofiles, thread_pool and io_uring (got 'bogus')"},
      {{"saves", "--concurrency", "0"}, "--concurrency takes numbers from 1 to 1024 (got 0)"},
      {{"saves", "--decode-threads", "0"}, "--decode-threads: Value 0 not in range 1 to 256"},
      {{"saves", "--concurrency", "1,,2"}, "empty item in the list '1,,2'"},
      {{"saves", "--image-size", "1"}, "--image-size must be between 64 bytes and 64M (got 1)"},
      {{"saves", "--file-size", "1"}, "--file-size must be between 64 bytes and 64M (got 1)"},
      {{"saves", "--path", "save_base64_image,save_everything"}, "--path takes save_base64_image and save_certificate_file (got 'save_everything')"},
      {{"serve", "--listen", "8080"}, "--listen takes HOST:PORT, e.g. 127.0.0.1:8080 (got '8080')"},
      {{"serve", "--listen", "127.0.0.1:70000"}, "the port must be 0 to 65535 (got '70000')"},
      {{"serve", "--threads", "0"}, "--threads must be 1 to 256"},
      {{"serve", "--max-header", "1"}, "--max-header must be 256 to 16M"},
      {{"serve", "--idle-timeout", "0"}, "--idle-timeout must be more than 0 and at most 86400 s"},
      {{"serve", "--redis", "http://x"}, "no redis:// scheme: 'http://x'"},
      {{"serve", "--threads", "257"}, "--threads must be 1 to 256"},
      {{"seed", "--scale", "1000", "--schema", "information_schema"}, "is not certbench's to manage"},
      {{"seed", "--scale", "1000", "--schema", "pg_temp_1"}, "is not certbench's to manage"},
      {{"run", "--loop-concurrency", "2000"}, "(got 2000)"},
      {{"report", "results.json", "--require-push"}, "--require-push requires --pushgateway"},
      {{"load-http", "http://127.0.0.1:1/", "--rate", "10", "--require-push"}, "--require-push requires --pushgateway"},
      {{"run", "--pushgateway", "pushgateway:9091"}, "takes an http:// or https:// URL"},
      {{"report", "results.json", "--pushgateway", "ftp://gateway"}, "(got 'ftp://gateway')"},
      {{"load-http", "http://127.0.0.1:1/", "--rate", "10", "--pushgateway", "http://"}, "(got 'http://')"},
      {{"run", "--pushgateway", "http://gateway:9091/?x=1"}, "(got 'http://gateway:9091/?x=1')"},
  };
  for (const auto& [args, message] : cases) {
    auto r = run_certbench(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
    EXPECT_TRUE(has(r.err.substr(0, r.err.find('\n')), message)) << joined << "\n" << r.err;
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
  EXPECT_TRUE(has(alone.out, "not recorded on the certificate row (--no-record)")) << alone.out;
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
