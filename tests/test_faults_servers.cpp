// Faults of the servers certbench depends on, with real processes (docs/reliability.md, "Faults"):
// the database killed under each family of a run, while seeding and under serve, serve's sessions
// cut, a database that never answers or freezes, the run's Redis killed. Each test checks the exit code or
// the HTTP status, that what was measured is kept, and what comes back afterwards.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <future>
#include <set>
#include <sstream>

#include "certbench/db/connection.hpp"
#include "certbench/db/embedded_postgres.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/http/server.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/net.hpp"
#include "certbench/sys/proc.hpp"
#include "certbench/sys/process.hpp"
#include "support/cluster.hpp"
#include "support/http_client.hpp"
#include "support/services.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using namespace certbench;
using certbench::testing::eventually;
using certbench::testing::exit_within;
using certbench::testing::has;
using certbench::testing::http_request;
using certbench::testing::lines;
using certbench::testing::process_in;
using certbench::testing::slurp;
using certbench::testing::temp_dir;

// The cluster in `data` started again after its postmaster was killed: its killed backends may take
// a moment to go. Nothing when it does not start within a minute.
namespace {
std::optional<db::EmbeddedPostgres> up_again(const fs::path& data) {
  std::optional<db::EmbeddedPostgres> again;
  eventually(
      [&] {
        try {
          again.emplace(db::EmbeddedPostgres::up(data));
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      60);
  return again;
}
}  // namespace

// The database dies while one family is measured: certbench stops within a minute, exits 3 with the
// failure on stderr, writes what it measured marked complete: false, and leaves no embedded server
// (Redis, for the caching family) behind; after the saves, which write, the server restarted, the
// next run measures them.
class DatabaseKilledDuring : public ::testing::TestWithParam<const char*> {};

TEST_P(DatabaseKilledDuring, TheRunExitsThreeAndKeepsWhatWasMeasured) {
  const auto dir = temp_dir("certbench-test-killed-");
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);  // postgres's way in
  const auto data = dir / "pgdata";
  auto cluster = db::EmbeddedPostgres::up(data);
  // Whatever fails on the way, no server of this test is left running and its folder goes.
  struct Cleanup {
    fs::path dir, data;
    ~Cleanup() {
      db::EmbeddedPostgres::down(data);
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir, data};
  const auto log = (dir / "log").string();
  const std::vector<std::string> run = {"run", "--quick", "--only", GetParam(), "--scale", "1000"};
  auto args = run;
  args.insert(args.end(), {"--out", (dir / "out").string(), "--dsn", cluster.dsn()});
  if (std::string(GetParam()) == "compare") args.insert(args.end(), {"--compare-binary", CERTBENCH_BINARY});
  const pid_t pid = certbench::testing::spawn_certbench(args, log);
  // Once the family is under way (its scenario's line in the log), kill the server.
  const std::map<std::string, std::string> scenario{
      {"listing,loop", "listings"}, {"caching", "caching"},      {"saves", "file saves"},
      {"http", "the API over HTTP"}, {"indexes", "index sets"}, {"compare", "base against head"}};
  ASSERT_TRUE(eventually([&] { return has(slurp(log), "certbench: " + scenario.at(GetParam()) + " · about"); }, 120))
      << slurp(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  ::kill(cluster.info().postmaster_pid, SIGKILL);
  const auto code = exit_within(pid, 90);
  ASSERT_TRUE(code) << "certbench did not stop after its database died: " << slurp(log);
  EXPECT_EQ(*code, 3) << slurp(log);
  const auto killed = results::load(dir / "out" / "results.json");
  EXPECT_FALSE(killed.complete);
  EXPECT_FALSE(killed.failure.empty());
  std::size_t said = 0;  // the failure, in one line
  std::istringstream text(slurp(log));
  for (std::string line; std::getline(text, line);)
    if (has(line, "complete: false")) {
      ++said;
      EXPECT_TRUE(has(line, killed.failure.substr(0, 40))) << line << "\n" << killed.failure;
    }
  EXPECT_EQ(said, 1u) << slurp(log);
  EXPECT_TRUE(certbench::testing::throwaway_dirs_of(pid).empty()) << "an embedded server of the run was left";

  // The family that writes to the dataset (a save records its file's path on the certificate's row;
  // the others read): the server back up, the next run on the same dataset measures it whole.
  if (std::string(GetParam()) != "saves") return;
  auto again = up_again(data);
  ASSERT_TRUE(again) << "the killed cluster did not start again";
  args = run;
  args.insert(args.end(), {"--out", (dir / "next").string(), "--dsn", again->dsn()});
  const auto next = certbench::testing::run_certbench(args);
  EXPECT_EQ(next.exit_code, 0) << next.err;
  EXPECT_TRUE(results::load(dir / "next" / "results.json").complete);
}

INSTANTIATE_TEST_SUITE_P(Families, DatabaseKilledDuring,
                         ::testing::Values("listing,loop", "caching", "saves", "http", "indexes", "compare"),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           std::string name = param.param;
                           return name == "listing,loop" ? std::string("listings") : name;
                         });

// The run's own embedded PostgreSQL frozen while the listings are measured — SIGSTOP to its
// postmaster and every backend (each leads a session of its own), as a hung host whose kernel still
// acknowledges: no timeout of libpq's or of the server's fires, and a session's next statement
// waits for good. After --stall-seconds without a call returning, certbench writes what it
// measured (complete: false), exits 3 with one line naming the stall, and stops the frozen server
// — its processes and folder gone.
TEST(Faults, AFrozenDatabaseIsGivenUpOnAfterTheStallLimitAndItsServerStopped) {
  const auto dir = temp_dir("certbench-test-frozen-");
  const auto log = (dir / "log").string();
  struct Ending {  // whatever fails below, neither certbench nor anything frozen outlives the test
    fs::path dir;
    pid_t certbench = 0;
    std::vector<pid_t> frozen;
    ~Ending() {
      for (pid_t p : frozen) ::kill(p, SIGCONT);
      if (certbench > 0) {
        ::kill(certbench, SIGKILL);  // its embedded server follows (parent-death signal)
        exit_within(certbench, 30);
      }
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } ending{dir, 0, {}};
  ending.certbench = certbench::testing::spawn_certbench(
      {"run", "--only", "listing", "--scale", "1000", "--stall-seconds", "5", "--out", (dir / "out").string()}, log);
  const pid_t pid = ending.certbench;
  ASSERT_TRUE(eventually([&] { return has(slurp(log), "certbench: listings · about"); }, 180)) << slurp(log);
  fs::path data;
  for (const auto& d : certbench::testing::throwaway_dirs_of(pid))
    if (has(d, "certbench-pg-")) data = fs::path(d) / "data";
  ASSERT_FALSE(data.empty()) << "the run started no embedded PostgreSQL: " << slurp(log);
  const auto pid_file = sys::read_file(data / "postmaster.pid");
  ASSERT_TRUE(pid_file) << data;
  const pid_t postmaster = std::stoi(*pid_file);
  ending.frozen = sys::children_of(postmaster);
  ending.frozen.push_back(postmaster);
  ASSERT_GE(ending.frozen.size(), 2u) << "the server has no backend";
  for (pid_t p : ending.frozen) ::kill(p, SIGSTOP);
  const auto frozen = std::chrono::steady_clock::now();
  const auto code = exit_within(pid, 120);
  ASSERT_TRUE(code) << "certbench did not give up on its frozen database: " << slurp(log);
  ending.certbench = 0;  // reaped: its pid may be another process's now
  EXPECT_EQ(*code, 3) << slurp(log);
  EXPECT_GE(std::chrono::steady_clock::now() - frozen, std::chrono::seconds(5)) << slurp(log);
  const auto run = results::load(dir / "out" / "results.json");
  EXPECT_FALSE(run.complete);
  EXPECT_TRUE(has(run.failure, "nothing moved for 5 s (listings: ")) << run.failure;
  std::size_t said = 0;  // the failure, in one line
  std::istringstream text(slurp(log));
  for (std::string line; std::getline(text, line);)
    if (has(line, "complete: false")) {
      ++said;
      EXPECT_EQ(line.find("certbench: " + run.failure + " — results.json has the "), 0u) << line;
    }
  EXPECT_EQ(said, 1u) << slurp(log);
  EXPECT_FALSE(sys::process_alive(postmaster)) << "the frozen server was left running";
  ending.frozen.clear();
  EXPECT_TRUE(certbench::testing::throwaway_dirs_of(pid).empty()) << "a folder of the run was left";
}

// The database dies while a seed loads its tables: certbench stops within a minute with exit 3 and
// one line; once the server is back, the half-loaded schema is not taken as ready — the next seed
// of it loads it whole.
TEST(Faults, DatabaseKilledWhileSeedingExitsThreeAndTheNextSeedLoadsItWhole) {
  const auto dir = temp_dir("certbench-test-seed-killed-");
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);  // postgres's way in
  const auto data = dir / "pgdata";
  auto cluster = db::EmbeddedPostgres::up(data);
  const auto log = (dir / "log").string();
  const pid_t pid = certbench::testing::spawn_certbench(
      {"seed", "--scale", "200k", "--schema", "faults_seed", "--dsn", cluster.dsn()}, log);
  {
    db::Connection c(cluster.dsn());
    ASSERT_TRUE(eventually([&] { return c.exec("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%'").int64(0, 0) > 0; },
                           300))
        << slurp(log);
  }
  ::kill(cluster.info().postmaster_pid, SIGKILL);
  const auto code = exit_within(pid, 90);
  ASSERT_TRUE(code) << "certbench did not stop after its database died: " << slurp(log);
  EXPECT_EQ(*code, 3) << slurp(log);
  EXPECT_FALSE(has(slurp(log), "seeded ")) << slurp(log);
  // Back up, the schema is loaded again, whole.
  auto again = up_again(data);
  ASSERT_TRUE(again) << "the killed cluster did not start again";
  const auto next = certbench::testing::run_certbench(
      {"seed", "--scale", "200k", "--schema", "faults_seed", "--dsn", again->dsn(), "--json"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  EXPECT_EQ(nlohmann::json::parse(next.out).at("status"), "seeded") << "the half-loaded schema was taken as ready";
  EXPECT_TRUE(db::EmbeddedPostgres::down(data));
  fs::remove_all(dir);
}

// The run's Redis dies while the listings are measured, before the caching family: the redis
// variants' figures (their calls fell back to the database) are not kept, the failure names them,
// and the rest of the run — the other cache variants, the file saves after — goes on: exit 3,
// complete: false, nothing of the run left behind.
TEST(Faults, RedisKilledMidRunFailsItsVariantsAndTheRunGoesOn) {
  const auto dir = temp_dir("certbench-test-redis-killed-");
  const auto log = (dir / "log").string();
  const pid_t pid = certbench::testing::spawn_certbench(
      {"run", "--quick", "--only", "listing,caching,saves", "--scale", "1000", "--schema", "faults_redis", "--dsn",
       certbench::testing::shared_cluster().dsn(), "--out", (dir / "out").string()},
      log);
  ASSERT_TRUE(eventually([&] { return has(slurp(log), "certbench: listings · about"); }, 180)) << slurp(log);
  std::string redis_dir;
  for (const auto& d : certbench::testing::throwaway_dirs_of(pid))
    if (has(d, "certbench-redis-")) redis_dir = d;
  ASSERT_FALSE(redis_dir.empty()) << "the run started no embedded Redis";
  const auto redis = process_in(redis_dir);
  ASSERT_TRUE(redis) << "no redis-server runs in " << redis_dir;
  ::kill(*redis, SIGKILL);
  const auto code = exit_within(pid, 180);
  ASSERT_TRUE(code) << "certbench did not stop: " << slurp(log);
  EXPECT_EQ(*code, 3) << slurp(log);
  const auto run = results::load(dir / "out" / "results.json");
  EXPECT_FALSE(run.complete);
  EXPECT_TRUE(has(run.failure, "Redis failed")) << run.failure;
  EXPECT_TRUE(has(run.failure, "get_template_by_id/redis/hit (")) << run.failure;
  EXPECT_TRUE(has(run.failure, "lookups answered from the database)")) << run.failure;
  EXPECT_TRUE(has(slurp(log), "Redis failed")) << slurp(log);
  std::set<std::string, std::less<>> implementations, families;
  for (const auto& s : run.series) {
    families.insert(s.family);
    if (s.family == results::family::caching) implementations.insert(s.implementation);
  }
  EXPECT_FALSE(implementations.contains("redis")) << "a redis variant's figures were kept";
  EXPECT_TRUE(implementations.contains("in_process"));
  EXPECT_TRUE(implementations.contains("naive"));
  EXPECT_TRUE(families.contains(results::family::file_save)) << "the run did not go on after the caching family";
  EXPECT_TRUE(families.contains(results::family::listing));
  EXPECT_TRUE(certbench::testing::throwaway_dirs_of(pid).empty()) << "a folder of the run was left";
  fs::remove_all(dir);
}

namespace {

// serve on `dsn`, a small dataset seeded there first.
struct Serving {
  fs::path dir = temp_dir("certbench-test-faults-serve-");
  std::unique_ptr<http::Server> server;
  explicit Serving(const std::string& dsn) {
    fixtures::SeedOptions o;
    o.spec = {500, 5, fixtures::IndexSet::best};
    o.schema = "faults";
    fixtures::seed(dsn, o);
    http::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.api.dsn = dsn;
    options.api.schema = "faults";
    options.save_dir = dir;
    server = std::make_unique<http::Server>(options);
  }
  ~Serving() {
    server.reset();
    fs::remove_all(dir);
  }
  [[nodiscard]] int status(const std::string& target) const {
    const auto reply = http_request(server->port(), "GET", target);
    return reply ? reply->status : 0;
  }
};

constexpr const char* kListing = "/limited/certificates/public?size=5";

}  // namespace

// A session whose connection is cut (its backend terminated, as a failover or an idle timeout
// does) answers 503, with a JSON error; the session is dropped, and the next requests open new ones
// and are answered again — the listings' pools, the template variants' sessions and the save
// recorder's. /health never depends on the database.
TEST(ServeFaults, ASessionThatLostItsConnectionIsReplaced) {
  auto cluster = db::EmbeddedPostgres::start_throwaway();  // every client backend of it is cut below
  Serving s(cluster.dsn());
  struct Target {
    std::string method, target, body;
  };
  std::vector<Target> targets;
  for (auto impl : harness::listing_implementations(Listing::public_certificates))
    targets.push_back({"GET", "/" + std::string(impl) + "/certificates/public?size=5", ""});
  targets.push_back({"GET", "/naive/templates/public", ""});
  {
    db::Connection db(cluster.dsn());
    impl_common::use_dataset(db, "faults");
    const auto id = db.exec("SELECT min(id) FROM spa_therapist_certificates").int64(0, 0);
    targets.push_back({"POST", "/naive/certificates/spa_therapist/" + std::to_string(id) + "/file", "%PDF-1.4\n%%EOF\n"});
  }
  auto ask = [&](const Target& t) { return http_request(s.server->port(), t.method, t.target, t.body); };
  for (const auto& t : targets) {  // both sessions of each listing pool opened: two requests at once
    auto first = std::async(std::launch::async, [&] { return ask(t); });
    const auto second = ask(t);
    ASSERT_TRUE(second && first.get());
    EXPECT_EQ(second->status, 200) << t.target << ": " << second->body;
  }
  db::Connection admin(cluster.dsn());
  const auto cut = admin.exec(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
      "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database()");
  ASSERT_GE(cut.int64(0, 0), static_cast<std::int64_t>(targets.size())) << "serve's sessions were not cut";
  for (const auto& t : targets) {
    int unavailable = 0;
    for (int i = 0; i < 4; ++i) {  // each broken session (two at most) fails one request
      const auto reply = ask(t);
      ASSERT_TRUE(reply);
      if (reply->status == 503) {
        ++unavailable;
        EXPECT_TRUE(has(nlohmann::json::parse(reply->body).at("error").get<std::string>(), "database")) << reply->body;
      } else {
        EXPECT_EQ(reply->status, 200) << t.target << ": " << reply->body;
      }
    }
    EXPECT_LE(unavailable, 2) << t.target << ": a session stayed broken";
    const auto last = ask(t);
    ASSERT_TRUE(last);
    EXPECT_EQ(last->status, 200) << t.target << ": " << last->body;
  }
  EXPECT_EQ(s.status("/health"), 200);
}

// The database itself killed: every listing answers 503 within seconds (no hang on a dead
// server), /health stays 200, and serve stops in bounded time.
TEST(ServeFaults, TheDatabaseKilledMeans503sAndAnOrderlyStop) {
  auto cluster = db::EmbeddedPostgres::start_throwaway();
  auto s = std::make_unique<Serving>(cluster.dsn());
  EXPECT_EQ(s->status(kListing), 200);
  ::kill(cluster.info().postmaster_pid, SIGKILL);
  const auto started = std::chrono::steady_clock::now();
  for (const char* impl : {"naive", "review", "limited"}) {
    const std::string target = std::string("/") + impl + "/certificates/public?size=5";
    for (int i = 0; i < 2; ++i) EXPECT_EQ(s->status(target), 503) << target;
  }
  EXPECT_EQ(s->status("/health"), 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(60));
  s.reset();  // stop: drains, joins
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(90));
  cluster.stop();
}

// A database server that accepts the connection and never answers (a hung host, a black-holing
// firewall) cannot hang certbench: the connection gives up after its connect timeout (10 s unless
// the DSN or PGCONNECT_TIMEOUT says otherwise), exit 3 with one line.
TEST(Faults, ADatabaseThatNeverAnswersIsGivenUpOnAfterTheConnectTimeout) {
  const auto dir = temp_dir("certbench-test-silent-db-");
  const int port = sys::free_loopback_port();
  const auto silent = certbench::testing::start_silent_listener(port, dir / "silent.log");
  const auto started = std::chrono::steady_clock::now();
  const auto r = certbench::testing::run_certbench(
      {"show", "public", "--dsn", "postgresql://certbench@127.0.0.1:" + std::to_string(port) + "/certbench"});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(has(r.err, "timeout")) << r.err;
  EXPECT_LT(took, std::chrono::seconds(60));
  fs::remove_all(dir);
}

