// The review's "execute queries in parallel", as the database wrapper runs it: a libpq pipeline on
// one session (5 statements, 1 round trip) and statements spread over several sessions at once —
// counted by the client, seen by the server, and failing cleanly.
#include <gtest/gtest.h>

#include <array>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/server_counts.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "support/cluster.hpp"

using namespace certbench;

namespace {

constexpr const char* kSchema = "pipeline";

class Pipeline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixtures::SeedOptions o;
    o.spec = {1000, 5, fixtures::IndexSet::best};
    o.schema = kSchema;
    fixtures::seed(dsn(), o);
  }
  static std::string dsn() { return certbench::testing::shared_cluster().dsn(); }
};

std::vector<db::PreparedCall> numbered(std::initializer_list<const char*> divisors) {
  std::vector<db::PreparedCall> calls;
  for (const char* d : divisors) calls.push_back({"divide", "SELECT 10 / $1::int AS q", {std::string(d)}});
  return calls;
}

TEST_F(Pipeline, APipelinedPageIsFiveStatementsInOneRoundTrip) {
  auto s = harness::open_listing_session(dsn(), kSchema, "pipelined");
  const std::int64_t user = impl_common::busiest_owner(*s.db);
  for (Listing l : kListings) {
    // Warm: statements prepared — for the same page, as most statements carry its bounds.
    s.listings->list(l, user, {2, 20, std::nullopt});
    s.db->reset_stats();
    const auto page = s.listings->list(l, user, {2, 20, std::nullopt});
    EXPECT_EQ(s.db->stats().statements, 5u) << to_string(l);
    EXPECT_EQ(s.db->stats().round_trips, 1u) << to_string(l);
    if (l == Listing::all_certificates_with_users) {  // every kind has 100 or more certificates here
      EXPECT_EQ(s.db->stats().rows_received, 5u * 40u) << "each kind hands over offset + size rows";
    }
    if (l != Listing::user_certificates) {
      EXPECT_EQ(page.rows.size(), 20u) << to_string(l);
    }
  }
  // The first page of a shape prepares its statements first: one round trip each, then the pipeline.
  s.db->reset_stats();
  s.listings->list(Listing::public_certificates, 0, {1, 20, ListingPosition{0, "nail_technician", 1}});
  EXPECT_EQ(s.db->stats().statements, 10u);
  EXPECT_EQ(s.db->stats().round_trips, 6u);
}

TEST_F(Pipeline, ParallelSpreadsFiveStatementsOverItsSessionsAndCountsThemAll) {
  auto s = harness::open_listing_session(dsn(), kSchema, "parallel");
  s.listings->list(Listing::all_certificates_with_users, 0, {3, 20, std::nullopt});  // warm, the same page
  s.db->reset_stats();
  s.listings->list(Listing::all_certificates_with_users, 0, {3, 20, std::nullopt});
  EXPECT_EQ(s.db->stats().statements, 5u);
  EXPECT_EQ(s.db->stats().round_trips, 5u) << "one wait per statement, on as many sessions at once";
  EXPECT_EQ(s.db->stats().rows_received, 5u * 60u);
  // Recorded on the session the call was made through, whichever session ran them.
  std::vector<db::ExecutedStatement> executed;
  s.db->capture_statements(&executed);
  s.listings->list(Listing::certificates_endpoint, 0, {3, 20, std::nullopt});
  s.db->capture_statements(nullptr);
  EXPECT_EQ(executed.size(), 5u);
}

// The client's count against the server's own (pg_stat_statements): five statements executed.
TEST_F(Pipeline, TheServerSeesFiveStatementsPerPipelinedPage) {
  harness::ServerStatements server(dsn());
  ASSERT_TRUE(server.available());
  for (std::string_view impl : {"pipelined", "parallel"}) {
    auto s = harness::open_listing_session(dsn(), kSchema, impl);
    const PageRequest page{1, 20, std::nullopt};
    s.listings->list(Listing::public_certificates, 0, page);
    const auto counts = server.per_call([&] { s.listings->list(Listing::public_certificates, 0, page); }, 3);
    ASSERT_TRUE(counts.has_value());
    EXPECT_EQ(counts->statements, 5.0) << impl;
  }
}

TEST(PipelineErrors, AFailedStatementAbortsTheRestWithOneQueryErrorAndTheSessionStaysUsable) {
  db::Connection c(certbench::testing::shared_cluster().dsn());
  const auto fine = numbered({"1", "2", "5"});
  auto results = c.exec_pipeline(fine);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].text(0, 0), "10");
  EXPECT_EQ(results[2].text(0, 0), "2");

  c.reset_stats();
  const auto failing = numbered({"1", "0", "2"});  // the second divides by zero; the third never runs
  try {
    c.exec_pipeline(failing);
    FAIL() << "no error";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "22012");
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("division by zero"), std::string::npos) << e.what();
  }
  EXPECT_EQ(c.stats().round_trips, 1u);
  // Usable afterwards: a plain statement, a prepared one, and another pipeline.
  EXPECT_EQ(c.exec("SELECT 1").text(0, 0), "1");
  EXPECT_EQ(c.exec_prepared("divide", "SELECT 10 / $1::int AS q", {std::string("10")}).text(0, 0), "1");
  EXPECT_EQ(c.exec_pipeline(fine).at(1).text(0, 0), "5");

  // A statement that cannot be prepared fails before the pipeline starts.
  const std::array<db::PreparedCall, 1> missing{db::PreparedCall{"missing", "SELECT * FROM no_such_table", {}}};
  try {
    c.exec_pipeline(missing);
    FAIL() << "no error";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "42P01");
  }
  EXPECT_EQ(c.exec_pipeline(fine).size(), 3u);
  EXPECT_TRUE(c.exec_pipeline({}).empty());
}

// The session's server process killed between two pipelines: the next one cannot be answered nor
// its pipeline left, which is one ConnectionError (what serve's pools drop a session for, and what
// stops a run), and the next statement is told the connection was lost — not a pipeline-mode error.
TEST(PipelineErrors, ALostConnectionIsAConnectionError) {
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  db::Connection c(dsn);
  const auto fine = numbered({"1", "2", "5"});
  ASSERT_EQ(c.exec_pipeline(fine).size(), 3u);  // prepared: the next pipeline sends at once
  const std::string pid(c.exec("SELECT pg_backend_pid()").text(0, 0));
  db::Connection admin(dsn);
  ASSERT_EQ(admin.exec("SELECT pg_terminate_backend(" + pid + ")").text(0, 0), "t");
  ASSERT_TRUE(certbench::testing::eventually(
      [&] { return admin.exec("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid).text(0, 0) == "0"; }, 10));
  EXPECT_THROW(c.exec_pipeline(fine), ConnectionError);
  EXPECT_THROW(c.exec("SELECT 1"), ConnectionError);
}

TEST(PipelineErrors, AFailureOnOneOfSeveralSessionsIsOneQueryErrorAndEverySessionStaysUsable) {
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  db::Connection a(dsn), b(dsn), c(dsn);
  const std::array<db::Connection*, 3> sessions{&a, &b, &c};
  // Five calls on three sessions: a and b run two each, one after the other.
  auto results = a.exec_concurrently(sessions, numbered({"1", "2", "5", "10", "1"}));
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[1].text(0, 0), "5");
  EXPECT_EQ(results[3].text(0, 0), "1");
  EXPECT_EQ(a.stats().statements, 5u + 3u) << "five statements and a Prepare on each session";
  EXPECT_EQ(b.stats().statements, 0u) << "counted on the connection the call was made through";
  try {
    a.exec_concurrently(sessions, numbered({"1", "0", "2", "0", "5"}));
    FAIL() << "no error";
  } catch (const QueryError& e) {
    EXPECT_EQ(e.sqlstate(), "22012");
  }
  for (auto* s : sessions) EXPECT_EQ(s->exec("SELECT 2").text(0, 0), "2");
  EXPECT_EQ(a.exec_concurrently(sessions, numbered({"5", "2"})).at(0).text(0, 0), "2");
}

}  // namespace
