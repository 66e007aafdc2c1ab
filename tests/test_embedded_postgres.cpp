// The embedded cluster: real initdb and postgres, as an unprivileged user when we are root.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/db/embedded_postgres.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/proc.hpp"
#include "certbench/sys/process.hpp"
#include "support/cluster.hpp"

namespace fs = std::filesystem;
using namespace certbench;
using certbench::testing::eventually;

namespace {
fs::path fresh_dir(const std::string& name) {
  auto dir = sys::make_unique_dir("/var/tmp", "certbench-test-" + name + "-");
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  return dir;
}
// A `certbench seed` (long enough to be caught mid-way) and its throwaway cluster, once the
// cluster's server accepts connections.
struct SeedingRun {
  fs::path log;
  pid_t certbench = 0;
  std::string cluster_dir;
  pid_t postmaster = 0;
};

SeedingRun start_seeding_run(const std::string& name) {
  SeedingRun run;
  run.log = fresh_dir(name) / "certbench.log";
  run.certbench = certbench::testing::spawn_certbench({"seed", "--scale", "2M"}, run.log.string());
  const bool started = eventually([&] {
    auto dirs = certbench::testing::throwaway_dirs_of(run.certbench);
    if (dirs.size() != 1) return false;
    auto text = sys::read_file(fs::path(dirs[0]) / "data" / "postmaster.pid");
    if (!text || text->find("ready") == std::string::npos) return false;
    run.cluster_dir = dirs[0];
    run.postmaster = std::stoi(text->substr(0, text->find('\n')));
    return true;
  });
  if (!started) ADD_FAILURE() << "no cluster started: " << sys::read_file(run.log).value_or("");
  return run;
}

}  // namespace

TEST(EmbeddedPostgres, ThrowawayClusterServesAndLeavesNothingBehind) {
  fs::path dir;
  pid_t pid = 0;
  {
    auto cluster = db::EmbeddedPostgres::start_throwaway();
    pid = cluster.info().postmaster_pid;
    dir = cluster.info().data_dir.parent_path();
    ASSERT_TRUE(sys::process_alive(pid));
    db::Connection c(cluster.dsn());
    EXPECT_EQ(c.exec("SHOW shared_preload_libraries").text(0, 0), "pg_stat_statements");
    EXPECT_EQ(c.exec("SHOW listen_addresses").text(0, 0), "127.0.0.1");
    EXPECT_EQ(c.exec("SELECT count(*) >= 0 FROM pg_stat_statements").text(0, 0), "t");
    EXPECT_EQ(c.exec("SHOW unix_socket_directories").text(0, 0), dir.string());
    EXPECT_TRUE(fs::exists(dir / "data" / "PG_VERSION"));
  }
  EXPECT_FALSE(sys::process_alive(pid)) << "postmaster still running";
  EXPECT_FALSE(fs::exists(dir)) << "data directory left behind";
}

TEST(EmbeddedPostgres, PersistentClusterKeepsItsDataAcrossRestarts) {
  const fs::path dir = fresh_dir("persist") / "pgdata";
  {
    auto first = db::EmbeddedPostgres::up(dir);
    db::Connection(first.dsn()).exec("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)");
    auto again = db::EmbeddedPostgres::up(dir);  // reuse, same server
    EXPECT_EQ(again.info().postmaster_pid, first.info().postmaster_pid);
  }
  auto running = db::EmbeddedPostgres::status(dir);
  ASSERT_TRUE(running) << "a persistent cluster outlives its handle";
  EXPECT_TRUE(db::EmbeddedPostgres::down(dir));
  EXPECT_FALSE(db::EmbeddedPostgres::status(dir));
  EXPECT_FALSE(sys::process_alive(running->postmaster_pid));
  EXPECT_FALSE(db::EmbeddedPostgres::down(dir)) << "already down";

  auto restarted = db::EmbeddedPostgres::up(dir);
  EXPECT_EQ(db::Connection(restarted.dsn()).exec("SELECT x FROM kept").text(0, 0), "42");
  EXPECT_TRUE(db::EmbeddedPostgres::down(dir));
  fs::remove_all(dir.parent_path());
}

TEST(EmbeddedPostgres, RefusesADirectoryItDidNotCreate) {
  const fs::path dir = fresh_dir("foreign");
  std::ofstream(dir / "precious.txt") << "not a database";
  EXPECT_THROW(db::EmbeddedPostgres::up(dir), InputError);
  EXPECT_TRUE(fs::exists(dir / "precious.txt"));
  fs::remove_all(dir);
}

// certbench killed outright (SIGKILL, no cleanup): the kernel's parent-death signal stops the
// server, and the next start removes the directory left behind.
TEST(EmbeddedPostgres, ClusterOfAKilledRunIsCleanedUp) {
  const SeedingRun run = start_seeding_run("killed");
  ASSERT_NE(run.postmaster, 0);
  kill(run.certbench, SIGKILL);
  sys::wait_for_exit(run.certbench);
  EXPECT_TRUE(eventually([&] { return !sys::process_alive(run.postmaster); }, 30))
      << "server outlived certbench";
  // The next start removes it: this call, or a certbench that another test (ctest -j) started
  // meanwhile — each start cleans stale clusters.
  db::EmbeddedPostgres::clean_stale_clusters();
  EXPECT_FALSE(fs::exists(run.cluster_dir));
  fs::remove_all(run.log.parent_path());
}

// Ctrl-C or SIGTERM: certbench stops its server, removes its directory, exits 128 + signal.
TEST(EmbeddedPostgres, InterruptedRunCleansUpAndExits) {
  for (int sig : {SIGINT, SIGTERM}) {
    const SeedingRun run = start_seeding_run("signal");
    ASSERT_NE(run.postmaster, 0);
    kill(run.certbench, sig);
    EXPECT_EQ(sys::wait_for_exit(run.certbench), 128 + sig);
    EXPECT_FALSE(sys::process_alive(run.postmaster));
    EXPECT_FALSE(fs::exists(run.cluster_dir));
    fs::remove_all(run.log.parent_path());
  }
}

// A stale postmaster.pid whose pid now belongs to another PostgreSQL: never taken for ours,
// never signalled.
TEST(EmbeddedPostgres, AStalePidOfAnotherServerIsNotOurs) {
  auto& other = certbench::testing::shared_cluster();
  const fs::path dir = fresh_dir("stale") / "pgdata";
  { auto cluster = db::EmbeddedPostgres::up(dir); }
  ASSERT_TRUE(db::EmbeddedPostgres::down(dir));
  std::ofstream(dir / "postmaster.pid") << other.info().postmaster_pid << "\n" << dir.string()
                                         << "\n1700000000\n" << other.info().port
                                         << "\n/tmp\n127.0.0.1\n0 0\nready   \n";
  EXPECT_FALSE(db::EmbeddedPostgres::status(dir));
  EXPECT_FALSE(db::EmbeddedPostgres::down(dir));
  EXPECT_TRUE(sys::process_alive(other.info().postmaster_pid)) << "the other server was signalled";
  auto restarted = db::EmbeddedPostgres::up(dir);  // the stale file does not stop a restart either
  EXPECT_NE(restarted.info().postmaster_pid, other.info().postmaster_pid);
  EXPECT_TRUE(db::EmbeddedPostgres::down(dir));
  fs::remove_all(dir.parent_path());
}
