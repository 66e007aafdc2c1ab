// Where a call's time goes: the database wrapper's CPU told apart from the caller's, the server's
// planning and execution per call, and waiting; the best listings planned once while the review's
// is planned on every call; and a session's prepared statements bounded however many pages are
// asked for. Against the real embedded PostgreSQL (and Redis for the cache variants).
#include <gtest/gtest.h>

#include <stdexcept>

#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/caching_run.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/listing_run.hpp"
#include "certbench/harness/scenarios.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/redis/embedded_redis.hpp"
#include "certbench/results/statistics.hpp"
#include "certbench/results/anatomy.hpp"
#include "certbench/sys/cpu_time.hpp"
#include "support/cluster.hpp"

using namespace certbench;
using results::Metric;

namespace {

double statement_cpu() { return sys::cpu_part_seconds(sys::CpuPart::statement); }

constexpr const char* kSchema = "anatomy";

class CallAnatomy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixtures::SeedOptions o;
    o.spec = {2000, 7, fixtures::IndexSet::best};
    o.schema = kSchema;
    fixtures::seed(dsn(), o);
  }
  static std::string dsn() { return certbench::testing::shared_cluster().dsn(); }
};

// pg_stat_statements' calls and plans of this user's statements in this database (the query
// itself left out): how often the server executed and planned.
struct Counts {
  double calls = 0, plans = 0;
};
Counts statement_counts(db::Connection& c) {
  auto r = c.exec(
      "SELECT coalesce(sum(calls), 0), coalesce(sum(plans), 0) FROM pg_stat_statements "
      "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "AND userid = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND query NOT LIKE '%pg_stat_statements%'");
  return {static_cast<double>(r.int64(0, 0)), static_cast<double>(r.int64(0, 1))};
}

TEST(PreparedStatements, ASessionKeepsTheMostRecentlyUsedUpToItsLimit) {
  db::Connection c(certbench::testing::shared_cluster().dsn());
  EXPECT_THROW(c.set_prepared_limit(db::Connection::kMinPreparedLimit - 1), std::invalid_argument);
  c.set_prepared_limit(db::Connection::kMinPreparedLimit);
  const auto limit = db::Connection::kMinPreparedLimit;
  for (std::size_t i = 0; i < limit + 4; ++i)
    EXPECT_EQ(c.exec_prepared("select_" + std::to_string(i), "SELECT " + std::to_string(i) + "::bigint", {}).int64(0, 0),
              static_cast<std::int64_t>(i));
  EXPECT_EQ(c.prepared_count(), limit);
  EXPECT_EQ(c.exec("SELECT count(*) FROM pg_prepared_statements").int64(0, 0), static_cast<std::int64_t>(limit));

  // The most recent stays prepared: one round trip. The oldest was deallocated: it comes back at
  // the cost of deallocating another and preparing it again.
  c.reset_stats();
  EXPECT_EQ(c.exec_prepared("select_" + std::to_string(limit + 3), "SELECT 0::bigint", {}).int64(0, 0),
            static_cast<std::int64_t>(limit + 3));
  EXPECT_EQ(c.stats().round_trips, 1u);
  c.reset_stats();
  EXPECT_EQ(c.exec_prepared("select_0", "SELECT 0::bigint", {}).int64(0, 0), 0);
  EXPECT_EQ(c.stats().round_trips, 3u);  // DEALLOCATE, Prepare, Execute
  EXPECT_EQ(c.prepared_count(), limit);

  // Names longer than PostgreSQL's 63 bytes stay apart.
  const std::string prefix(80, 'n');
  EXPECT_EQ(c.exec_prepared(prefix + "a", "SELECT 'a'", {}).text(0, 0), "a");
  EXPECT_EQ(c.exec_prepared(prefix + "b", "SELECT 'b'", {}).text(0, 0), "b");
  EXPECT_EQ(c.exec_prepared(prefix + "a", "SELECT 'a'", {}).text(0, 0), "a");
}

TEST(PreparedStatements, TheWrappersCpuIsCountedOnItsThreadAndNotTheCallersOwn) {
  db::Connection c(certbench::testing::shared_cluster().dsn());
  const sys::CpuMeter meter;
  const double before = statement_cpu();
  c.exec("SELECT count(*) FROM generate_series(1, 200000)");  // the server's work: little client CPU
  for (int i = 0; i < 50; ++i) c.exec_prepared("tiny", "SELECT 1", {});
  const double in_statements = statement_cpu() - before;
  EXPECT_GT(in_statements, 0.0);
  volatile double x = 0;  // the caller's own work is not the wrapper's
  for (int i = 0; i < 2'000'000; ++i) x = x + 1.0 / (i + 1);
  EXPECT_EQ(statement_cpu() - before, in_statements);
}

TEST(PreparedStatements, TheWrappersCpuIsReadOnlyUnderAMeter) {
  db::Connection c(certbench::testing::shared_cluster().dsn());
  const double before = statement_cpu();
  for (int i = 0; i < 20; ++i) c.exec_prepared("tiny", "SELECT 1", {});
  c.exec("SELECT count(*) FROM generate_series(1, 200000)");
  EXPECT_EQ(statement_cpu(), before);
  double metered = 0;
  {
    const sys::CpuMeter outer;
    { const sys::CpuMeter nested; }  // its end leaves the outer one metering
    for (int i = 0; i < 20; ++i) c.exec_prepared("tiny", "SELECT 1", {});
    metered = statement_cpu();
    EXPECT_GT(metered, before);
  }
  c.exec_prepared("tiny", "SELECT 1", {});
  EXPECT_EQ(statement_cpu(), metered);
}

TEST_F(CallAnatomy, TheBestListingsArePlannedOnceTheReviewsOnEveryCall) {
  db::Connection stats(dsn());
  const std::int64_t user = impl_common::busiest_owner(dsn(), kSchema);
  for (const auto listing : {Listing::public_certificates, Listing::user_certificates, Listing::certificates_endpoint})
    for (const std::string_view impl : {"limited", "pipelined", "review"}) {
      auto session = harness::open_listing_session(dsn(), kSchema, impl);
      const PageRequest page{2, 20, std::nullopt};
      // Prepared, and past PostgreSQL's five custom plans before it weighs a generic one.
      for (int i = 0; i < 8; ++i) session.listings->list(listing, user, page);
      const auto before = statement_counts(stats);
      for (int i = 0; i < 10; ++i) session.listings->list(listing, user, page);
      const auto after = statement_counts(stats);
      const double calls = after.calls - before.calls, plans = after.plans - before.plans;
      const auto what = std::string(impl) + " " + std::string(to_string(listing));
      EXPECT_GE(calls, 10) << what;
      if (impl != "review") {
        EXPECT_EQ(plans, 0) << what << ": planned once";
      } else if (listing == Listing::public_certificates) {
        // The review's public page binds LIMIT and OFFSET: PostgreSQL plans it on every call. (Its
        // other listings filter on a parameter too, and PostgreSQL may settle on a generic plan.)
        EXPECT_EQ(plans, calls) << what;
      }
    }
}

TEST_F(CallAnatomy, EachListingCallSplitsIntoTheClientTheServerAndWaiting) {
  harness::ListingRunSpec spec;
  spec.dsn = dsn();
  spec.schema = kSchema;
  spec.listings = {Listing::public_certificates, Listing::all_certificates_with_users};
  spec.implementations = {"naive", "review", "limited"};
  spec.budget_per_listing = std::chrono::milliseconds(300);
  spec.min_rounds = 9;
  const auto series = harness::to_series(harness::measure_listings(spec), 20, 2000, results::family::listing);
  ASSERT_EQ(series.size(), 6u);
  std::map<std::string, results::Anatomy> by;
  for (const auto& s : series) {
    const auto key = s.path + " " + s.implementation;
    ASSERT_NE(s.samples_of(Metric::client_cpu), nullptr) << key;
    EXPECT_EQ(s.samples_of(Metric::client_cpu)->size(), s.samples_of(Metric::latency)->size()) << key;
    ASSERT_NE(s.samples_of(Metric::statement_cpu), nullptr) << key;
    const auto a = results::anatomy_of(s);
    ASSERT_TRUE(a.has_value()) << key;
    ASSERT_TRUE(a->planning.has_value()) << key << ": the embedded cluster tracks planning";
    ASSERT_TRUE(a->execution.has_value()) << key;
    EXPECT_GT(*a->execution, 0.0) << key;
    EXPECT_GT(a->client_cpu, 0.0) << key;
    EXPECT_LE(a->client_cpu, a->latency) << key;
    // The anatomy is the median call's: its parts add up to the series' median latency.
    EXPECT_EQ(a->latency, results::percentile(*s.samples_of(Metric::latency), 0.5)) << key;
    if (a->waiting) {  // absent only where the calls run alone took the server longer than this one
      EXPECT_GE(*a->waiting, 0.0) << key;
      EXPECT_NEAR(a->client_cpu + *a->planning + *a->execution + *a->waiting, a->latency, 1e-12) << key;
    }
    EXPECT_EQ(s.value(Metric::waiting), a->waiting) << key << ": results.json's waiting is the anatomy's";
    by[key] = *a;
  }
  // Planned once against planned every call: the best listing's planning per call is nothing.
  EXPECT_EQ(*by["get_public_certificates limited"].planning, 0.0);
  EXPECT_GT(*by["get_public_certificates review"].planning, 0.0);
  // The naive admin listing waits for 25 round trips a page (a statement per kind, and a user per
  // row), the limited one for one.
  const auto& naive = by["get_all_certificates_with_users naive"];
  const auto& best = by["get_all_certificates_with_users limited"];
  ASSERT_TRUE(naive.waiting.has_value());
  ASSERT_TRUE(best.waiting.has_value());
  EXPECT_GT(*naive.waiting, *best.waiting);
}

// Decoding is marked by every listing implementation: naive's per table, limited's loop, the
// pipelined listing's merge (sort keys and the page's rows); always within the client's CPU.
TEST_F(CallAnatomy, DecodingIsApartWithinTheClientsCpuWhereTheImplementationMarksIt) {
  harness::ListingRunSpec spec;
  spec.dsn = dsn();
  spec.schema = kSchema;
  spec.listings = {Listing::public_certificates};
  spec.implementations = {"naive", "limited", "pipelined"};
  spec.budget_per_listing = std::chrono::milliseconds(200);
  spec.min_rounds = 5;
  const auto series = harness::to_series(harness::measure_listings(spec), 20, 2000, results::family::listing);
  std::map<std::string, results::Anatomy> by;
  for (const auto& s : series) {
    const auto a = results::anatomy_of(s);
    ASSERT_TRUE(a.has_value()) << s.key();
    by[s.implementation] = *a;
    const auto* decode = s.samples_of(Metric::decode_cpu);
    ASSERT_NE(decode, nullptr) << s.key();
    const auto& own = *s.samples_of(Metric::client_cpu);
    ASSERT_EQ(decode->size(), own.size()) << s.key();
    for (std::size_t i = 0; i < own.size(); ++i) {
      EXPECT_GT((*decode)[i], 0.0) << s.key() << " round " << i;
      EXPECT_LE((*decode)[i], own[i] + 1e-9) << s.key() << " round " << i << ": decoding is part of the client's CPU";
    }
  }
  // The naive page decodes every public row (about 1,000 here), the limited one its 20.
  ASSERT_TRUE(by["naive"].decode_cpu && by["limited"].decode_cpu && by["pipelined"].decode_cpu);
  EXPECT_GT(*by["naive"].decode_cpu, 10 * *by["limited"].decode_cpu);
  EXPECT_GT(*by["naive"].decode_cpu, 10 * *by["pipelined"].decode_cpu);
}

TEST_F(CallAnatomy, ServerTimeReadAroundTheTimedCallsLeavesWaitingForEveryListing) {
  harness::ListingRunSpec spec;
  spec.dsn = dsn();
  spec.schema = kSchema;
  spec.listings = {Listing::public_certificates, Listing::all_certificates_with_users};
  spec.implementations = {"naive", "limited"};
  spec.budget_per_listing = std::chrono::milliseconds(200);
  spec.min_rounds = 9;
  spec.server_in_rounds_from = std::chrono::milliseconds(0);  // every listing, however fast
  const auto measured = harness::measure_listings(spec);
  ASSERT_EQ(measured.size(), 4u);
  for (const auto& m : measured) {
    const auto key = std::string(to_string(m.listing)) + " " + m.impl;
    // One server reading per timed call, from the same calls the clocks timed.
    ASSERT_EQ(m.server_exec_ms.size(), m.latencies_ms.size()) << key;
    ASSERT_EQ(m.server_plan_ms.size(), m.latencies_ms.size()) << key;
    for (std::size_t i = 0; i < m.latencies_ms.size(); ++i) {
      EXPECT_GT(m.server_exec_ms[i], 0.0) << key << " call " << i;
      // The server works within the call the client waits for: never longer than the call.
      EXPECT_LE(m.server_exec_ms[i] + m.server_plan_ms[i], m.latencies_ms[i]) << key << " call " << i;
    }
  }
  const auto series = harness::to_series(measured, 20, 2000, results::family::listing);
  ASSERT_EQ(series.size(), measured.size());
  for (std::size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    const auto a = results::anatomy_of(s);
    ASSERT_TRUE(a.has_value()) << s.key();
    ASSERT_TRUE(a->waiting.has_value()) << s.key() << ": the server's time is read in the call's own window";
    // The series' server time is the median of the calls' own readings, not of calls run alone.
    ASSERT_TRUE(a->execution.has_value()) << s.key();
    EXPECT_NEAR(*a->execution, results::percentile(measured[k].server_exec_ms, 0.5) * 1e-3, 1e-12) << s.key();
    ASSERT_TRUE(a->planning.has_value()) << s.key();
    EXPECT_NEAR(*a->planning, results::percentile(measured[k].server_plan_ms, 0.5) * 1e-3, 1e-12) << s.key();
  }
}

TEST_F(CallAnatomy, ACacheHitIsAlmostAllClientCpuAndHasNoServerPart) {
  harness::CachingRunSpec spec;
  spec.dsn = dsn();
  spec.schema = kSchema;
  auto redis = redis::EmbeddedRedis::start();
  spec.redis = redis.endpoint();
  spec.budget_per_function = std::chrono::milliseconds(150);
  spec.min_rounds = 5;
  spec.derived = false;
  const auto series = harness::to_series(harness::measure_caching(spec), 2000);
  bool hit = false, naive = false;
  for (const auto& s : series) {
    if (s.path != "get_template_by_id") continue;
    const auto a = results::anatomy_of(s);
    ASSERT_TRUE(a.has_value()) << s.key();
    if (s.implementation == "in_process" && s.mode == "hit") {
      hit = true;
      // Nothing but the thread's own work: most of the time is its CPU (a wide margin: a batch
      // of a thousand hits can lose the CPU now and then on a shared machine).
      EXPECT_GT(a->client_cpu, 0.6 * a->latency) << s.key();
      EXPECT_FALSE(a->execution.has_value()) << s.key() << ": no statement, no server part";
      EXPECT_FALSE(a->statement_cpu.has_value()) << s.key();
      EXPECT_TRUE(a->waiting.has_value()) << s.key();
    }
    if (s.implementation == "naive") {
      naive = true;
      EXPECT_TRUE(a->execution.has_value()) << s.key() << ": the database on every call";
      EXPECT_TRUE(a->statement_cpu.has_value()) << s.key();
    }
  }
  EXPECT_TRUE(hit);
  EXPECT_TRUE(naive);
}

}  // namespace

// The anatomy reads every per-sample part from one call, the median one, so that a slow call's
// CPU and a fast call's latency never meet in one table row.
TEST(CallAnatomyOfASeries, TakesEveryPartFromTheMedianCall) {
  results::Series s;
  // The median call is the third; its CPU figures are none of their own medians.
  s.samples[Metric::latency] = {0.030, 0.010, 0.020, 0.050, 0.012};
  s.samples[Metric::client_cpu] = {0.001, 0.003, 0.009, 0.002, 0.004};          // median 0.003
  s.samples[Metric::statement_cpu] = {0.0001, 0.0002, 0.0009, 0.0004, 0.0005};  // median 0.0004
  s.samples[Metric::decode_cpu] = {0.0005, 0.0015, 0.006, 0.001, 0.002};        // median 0.0015
  s.values[Metric::server_planning] = 0.001;
  s.values[Metric::server_execution] = 0.006;
  auto a = results::anatomy_of(s);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->latency, 0.020);
  EXPECT_EQ(a->client_cpu, 0.009);
  EXPECT_EQ(a->statement_cpu, 0.0009);
  EXPECT_EQ(a->decode_cpu, 0.006);
  ASSERT_TRUE(a->waiting.has_value());
  EXPECT_NEAR(*a->waiting, 0.020 - 0.009 - 0.001 - 0.006, 1e-15);

  // A server part unknown: waiting cannot be told apart.
  s.values.erase(Metric::server_planning);
  EXPECT_FALSE(results::anatomy_of(s)->waiting.has_value());
  // The server's time beyond the call's time off its CPU (sessions at once): no waiting either.
  s.values[Metric::server_planning] = 0.001;
  s.values[Metric::server_execution] = 0.012;
  EXPECT_FALSE(results::anatomy_of(s)->waiting.has_value());
  // No statement sent: no server part, the time off the CPU is all waiting.
  s.samples.erase(Metric::statement_cpu);
  s.values.clear();
  a = results::anatomy_of(s);
  ASSERT_TRUE(a.has_value());
  EXPECT_NEAR(*a->waiting, 0.011, 1e-15);
  // Not a CPU reading per latency sample: no anatomy.
  s.samples[Metric::client_cpu].pop_back();
  EXPECT_FALSE(results::anatomy_of(s).has_value());
}
