// The seeder against real PostgreSQL: determinism, reuse, safety, interruption.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"
#include "support/cluster.hpp"

using namespace certbench;
using namespace certbench::fixtures;
using certbench::testing::eventually;
using certbench::testing::shared_cluster;
using certbench::testing::table_checksums;

namespace {

SeedOptions options(std::uint64_t scale, std::uint64_t seed, const std::string& schema,
                    IndexSet indexes = IndexSet::best) {
  SeedOptions o;
  o.spec = {scale, seed, indexes};
  o.schema = schema;
  return o;
}

std::vector<std::string> index_names(db::Connection& c, const std::string& schema) {
  auto r = c.exec_params("SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY 1", {schema});
  std::vector<std::string> out;
  for (std::size_t i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0));
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST(Seeder, SameScaleAndSeedGiveIdenticalTablesOnSeparateClusters) {
  auto first = db::EmbeddedPostgres::start_throwaway();
  auto second = db::EmbeddedPostgres::start_throwaway();
  seed(first.dsn(), options(3000, 5, "certbench"));
  seed(second.dsn(), options(3000, 5, "certbench"));
  const auto a = table_checksums(first.dsn(), "certbench");
  const auto b = table_checksums(second.dsn(), "certbench");
  ASSERT_EQ(a.size(), 8u);  // users, spas, templates and five certificate tables
  EXPECT_EQ(a, b);

  seed(second.dsn(), options(3000, 6, "certbench"));
  const auto c = table_checksums(second.dsn(), "certbench");
  for (const auto& [table, sum] : a) EXPECT_NE(sum, c.at(table)) << table;
}

TEST(Seeder, SameFingerprintIsReusedAndADifferentOneRebuilds) {
  const std::string dsn = shared_cluster().dsn();
  auto first = seed(dsn, options(2000, 1, "reuse"));
  EXPECT_FALSE(first.reused);
  const DatasetSpec spec{2000, 1, IndexSet::best};
  EXPECT_EQ(first.rows(), 2000u + spec.users() + spec.spas() + spec.templates());
  db::Connection c(dsn);
  const std::string seeded_at(c.exec("SELECT seeded_at FROM reuse.certbench_dataset").text(0, 0));

  auto again = seed(dsn, options(2000, 1, "reuse"));
  EXPECT_TRUE(again.reused);
  EXPECT_TRUE(again.stages.empty());
  EXPECT_EQ(c.exec("SELECT seeded_at FROM reuse.certbench_dataset").text(0, 0), seeded_at);

  auto other = seed(dsn, options(2000, 1, "reuse", IndexSet::review));
  EXPECT_FALSE(other.reused);
  auto stored = stored_dataset(c, "reuse");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->spec.indexes, IndexSet::review);
}

TEST(Seeder, IndexSetsAreTheOnesNamed) {
  const std::string dsn = shared_cluster().dsn();
  db::Connection c(dsn);
  seed(dsn, options(500, 1, "ix_none", IndexSet::none));
  seed(dsn, options(500, 1, "ix_review", IndexSet::review));
  seed(dsn, options(500, 1, "ix_best", IndexSet::best));
  auto none = index_names(c, "ix_none");
  auto review = index_names(c, "ix_review");
  auto best = index_names(c, "ix_best");
  for (const auto& names : {none, review, best}) {
    EXPECT_TRUE(contains(names, "spa_therapist_certificates_pkey"));
    EXPECT_TRUE(contains(names, "users_pkey"));
  }
  EXPECT_FALSE(contains(none, "idx_spa_therapist_certificates_generated_at"));
  EXPECT_TRUE(contains(review, "idx_certificates_public"));
  for (const auto& kind : {"spa_therapist", "esthetician", "yoga_instructor"}) {
    EXPECT_TRUE(contains(review, std::string("idx_") + kind + "_certificates_created_by"));
    EXPECT_TRUE(contains(review, std::string("idx_") + kind + "_certificates_generated_at"));
    EXPECT_TRUE(contains(best, std::string("idx_") + kind + "_certificates_public_feed"));
    EXPECT_FALSE(contains(best, std::string("idx_") + kind + "_certificates_created_by"));
  }
  // Foreign keys are part of every set.
  EXPECT_EQ(c.exec("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND "
                   "connamespace = 'ix_none'::regnamespace").int64(0, 0), 2 + 5 * 3);
}

TEST(Seeder, ForeignSchemaIsRefusedAndLeftUntouched) {
  const std::string dsn = shared_cluster().dsn();
  db::Connection c(dsn);
  c.exec("CREATE SCHEMA theirs; CREATE TABLE theirs.payroll (amount int); "
         "INSERT INTO theirs.payroll VALUES (1234)");
  try {
    seed(dsn, options(500, 1, "theirs"));
    FAIL() << "a foreign schema was not refused";
  } catch (const InputError& e) {
    // The library names the setting; the command line names the option (test_cli checks "--force").
    EXPECT_EQ(e.field(), "foreign_schema");
    EXPECT_EQ(std::string(e.what()).find("--"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.exec("SELECT amount FROM theirs.payroll").text(0, 0), "1234");

  SeedOptions forced = options(500, 1, "theirs");
  forced.force = true;
  EXPECT_FALSE(seed(dsn, forced).reused);
  EXPECT_TRUE(stored_dataset(c, "theirs"));
}

TEST(Seeder, NeverDropsObjectsOutsideItsSchema) {
  const std::string dsn = shared_cluster().dsn();
  db::Connection c(dsn);
  seed(dsn, options(500, 1, "watched"));
  c.exec("CREATE VIEW public.watched_users AS SELECT id FROM watched.users");
  EXPECT_THROW(seed(dsn, options(500, 2, "watched")), InputError);
  EXPECT_EQ(c.exec("SELECT count(*) FROM public.watched_users").int64(0, 0),
            static_cast<std::int64_t>(DatasetSpec{500, 1, IndexSet::best}.users()));
  EXPECT_EQ(stored_dataset(c, "watched")->spec.seed, 1u) << "the old dataset is still there";
  c.exec("DROP VIEW public.watched_users");

  // Every way of depending on the schema stops the rebuild, and nothing is dropped.
  for (const std::string& outside : {
           std::string("CREATE TABLE public.watched_refs (u bigint REFERENCES watched.users (id))"),
           std::string("CREATE TABLE public.watched_rows (r watched.users)"),  // depends on the row type
           std::string("CREATE FUNCTION watched.extra() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
       }) {
    c.exec(outside);
    EXPECT_THROW(seed(dsn, options(500, 2, "watched")), InputError) << outside;
    EXPECT_EQ(stored_dataset(c, "watched")->spec.seed, 1u) << outside;
    c.exec("DROP TABLE IF EXISTS public.watched_refs; DROP TABLE IF EXISTS public.watched_rows; "
           "DROP FUNCTION IF EXISTS watched.extra()");
  }
  EXPECT_FALSE(seed(dsn, options(500, 2, "watched")).reused) << "with them gone, it rebuilds";
  EXPECT_THROW(seed(dsn, options(500, 1, "public")), UsageError);
}

TEST(Seeder, ConcurrentSeedersAreSerialized) {
  const std::string dsn = shared_cluster().dsn();
  SeedReport a, b;
  std::thread ta([&] { a = seed(dsn, options(3000, 3, "race")); });
  std::thread tb([&] { b = seed(dsn, options(3000, 3, "race")); });
  ta.join();
  tb.join();
  EXPECT_NE(a.reused, b.reused) << "one seeds, the other waits and finds the dataset ready";
  db::Connection c(dsn);
  EXPECT_EQ(c.exec("SELECT count(*) FROM race.certbench_dataset").int64(0, 0), 1);
}

// A seed stopped at any moment — interrupted, terminated or killed — never leaves a dataset that a
// later run takes as ready; an interrupted one says so with 128 + the signal.
TEST(Seeder, KilledSeedIsNotTakenAsReady) {
  const std::string dsn = shared_cluster().dsn();
  db::Connection c(dsn);
  for (const auto& [stage, signal] : {std::pair{"loading", SIGKILL}, std::pair{"foreign keys", SIGKILL},
                                      std::pair{"loading", SIGINT}, std::pair{"foreign keys", SIGTERM}}) {
    const auto dir = sys::make_unique_dir("/tmp", "certbench-test-killed-");
    const std::string log = (dir / "certbench.log").string();
    pid_t cb = certbench::testing::spawn_certbench(
        {"seed", "--scale", "200k", "--schema", "killed", "--dsn", dsn}, log);
    // Stop it once the schema exists (loading), or once the tables are keyed (foreign keys).
    const std::string probe = std::string(stage) == "loading"
        ? "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'COPY %'"
        : "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = "
          "(SELECT oid FROM pg_namespace WHERE nspname = 'killed')";
    ASSERT_TRUE(eventually([&] { return c.exec(probe).int64(0, 0) > 0; }, 300))
        << stage << ": " << sys::read_file(log).value_or("");
    kill(cb, signal);
    const auto code = certbench::testing::exit_within(cb, 60);
    ASSERT_TRUE(code) << "the seed did not stop on signal " << signal << ": " << sys::read_file(log).value_or("");
    if (signal != SIGKILL) {  // its own orderly stop, not a death by the signal
      EXPECT_EQ(*code, 128 + signal) << sys::read_file(log).value_or("");
      EXPECT_NE(sys::read_file(log).value_or("").find("certbench: interrupted, cleaning up"), std::string::npos)
          << sys::read_file(log).value_or("");
    }
    EXPECT_FALSE(stored_dataset(c, "killed")) << "stopped by signal " << signal << " while " << stage;
    // The schema is recognisably certbench's: the next seed rebuilds it without --force.
    EXPECT_FALSE(seed(dsn, options(500, 1, "killed")).reused);
    EXPECT_TRUE(stored_dataset(c, "killed"));
    c.exec("DROP SCHEMA killed CASCADE");
    std::filesystem::remove_all(dir);
  }
}
