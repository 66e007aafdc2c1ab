// The limited statements use the indexes: on every certificate table an ordered index scan,
// both in the plan made for the parameters and in the generic plan a prepared statement may
// switch to — while without the indexes the planner scans the tables at the same scale.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/server_counts.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_optimized/listing.hpp"
#include "support/cluster.hpp"

using namespace certbench;

namespace {

// Node types by certificate table, from a JSON plan.
void collect(const nlohmann::json& node, std::map<std::string, std::set<std::string>>& out) {
  if (node.contains("Relation Name")) {
    const std::string rel = node["Relation Name"];
    if (rel.size() > 13 && rel.ends_with("_certificates")) out[rel].insert(node["Node Type"].get<std::string>());
  }
  if (node.contains("Plans"))
    for (const auto& child : node["Plans"]) collect(child, out);
}

using Access = std::map<std::string, std::set<std::string>>;

Access custom_plan(db::Connection& c, const impl_optimized::Listings::Statement& st) {
  auto r = c.exec_params("EXPLAIN (FORMAT JSON) " + st.sql, st.params);
  Access out;
  collect(nlohmann::json::parse(r.text(0, 0))[0]["Plan"], out);
  return out;
}

Access generic_plan(db::Connection& c, const impl_optimized::Listings::Statement& st) {
  std::string args;
  for (const auto& p : st.params) args += (args.empty() ? "'" : ", '") + p.value() + "'";
  c.exec("SET plan_cache_mode = force_generic_plan");
  c.exec("PREPARE plan_probe AS " + st.sql);
  // A page's bounds are written into the statement: it may have no parameters at all.
  auto r = c.exec("EXPLAIN (FORMAT JSON) EXECUTE plan_probe" + (args.empty() ? std::string() : "(" + args + ")"));
  c.exec("DEALLOCATE plan_probe");
  c.exec("RESET plan_cache_mode");
  Access out;
  collect(nlohmann::json::parse(r.text(0, 0))[0]["Plan"], out);
  return out;
}

struct Case {
  Listing listing;
  PageRequest page;
};

class ListingPlans : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dsn = certbench::testing::shared_cluster().dsn();
    for (auto [schema, set] : {std::pair{"plans_best", fixtures::IndexSet::best}, std::pair{"plans_none", fixtures::IndexSet::none}}) {
      fixtures::SeedOptions o;
      o.spec = {20000, 5, set};
      o.schema = schema;
      fixtures::seed(dsn, o);
    }
  }

  static std::vector<Case> cases(db::Connection& c) {
    const ListingPosition mid{c.exec("SELECT (extract(epoch FROM generated_at) * 1000000)::bigint FROM "
                                     "spa_therapist_certificates ORDER BY generated_at DESC LIMIT 1 OFFSET 500")
                                  .int64(0, 0),
                              "nail_technician", 1};
    return {{Listing::public_certificates, {1, 20, std::nullopt}},
            {Listing::public_certificates, {50, 20, std::nullopt}},
            {Listing::public_certificates, {1, 20, mid}},
            {Listing::user_certificates, {1, 20, std::nullopt}},
            {Listing::all_certificates_with_users, {1, 20, std::nullopt}},
            {Listing::all_certificates_with_users, {1, 20, mid}},
            {Listing::certificates_endpoint, {3, 20, std::nullopt}}};
  }

  static std::int64_t busiest_user(db::Connection& c) {
    return c.exec("SELECT created_by FROM spa_therapist_certificates GROUP BY 1 ORDER BY count(*) DESC LIMIT 1").int64(0, 0);
  }
};

TEST_F(ListingPlans, EveryCertificateTableIsReadThroughAnIndexInOrder) {
  db::Connection c(certbench::testing::shared_cluster().dsn());
  impl_common::use_dataset(c, "plans_best");
  impl_optimized::Listings listings(c, impl_optimized::Strategy::limited_branches);
  const auto user = busiest_user(c);
  for (const auto& k : cases(c)) {
    const auto st = listings.statement(k.listing, user, k.page);
    for (const auto& [plan_name, access] : {std::pair{"custom", custom_plan(c, st)}, std::pair{"generic", generic_plan(c, st)}}) {
      ASSERT_EQ(access.size(), certificate_kinds().size()) << st.name << " " << plan_name;
      for (const auto& [table, nodes] : access)
        for (const auto& node : nodes)
          EXPECT_TRUE(node == "Index Scan" || node == "Index Only Scan")
              << st.name << " (" << plan_name << " plan): " << table << " read by " << node;
    }
  }
}

TEST_F(ListingPlans, WithoutTheIndexesThePlannerScans) {
  db::Connection c(certbench::testing::shared_cluster().dsn());
  impl_common::use_dataset(c, "plans_none");
  impl_optimized::Listings listings(c, impl_optimized::Strategy::limited_branches);
  const auto st = listings.statement(Listing::public_certificates, 0, {1, 20, std::nullopt});
  const auto access = custom_plan(c, st);
  ASSERT_EQ(access.size(), certificate_kinds().size());
  for (const auto& [table, nodes] : access)
    EXPECT_TRUE(nodes.contains("Seq Scan")) << table << ": the scale is too small to show what the indexes do";
}

// The server's own counts (pg_stat_statements) see an N+1 and a dropped index without a clock.
TEST_F(ListingPlans, TheServerCountsTheNPlusOneAndADroppedIndexShowsInItsBuffers) {
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  harness::ServerStatements server(dsn);
  ASSERT_TRUE(server.available());
  auto per_call = [&](const char* schema, std::string_view impl) {
    auto session = harness::open_listing_session(dsn, schema, impl);
    const PageRequest page{1, 20, std::nullopt};
    session.listings->list(Listing::public_certificates, 0, page);  // statements prepared
    auto counts = server.per_call([&] { session.listings->list(Listing::public_certificates, 0, page); }, 3);
    EXPECT_TRUE(counts.has_value());
    return counts.value_or(harness::ServerCounts{});
  };
  const auto naive = per_call("plans_best", "naive");
  const auto best = per_call("plans_best", "limited");
  const auto none = per_call("plans_none", "limited");
  EXPECT_EQ(naive.statements, 5.0);  // one per certificate type
  EXPECT_EQ(best.statements, 1.0);
  EXPECT_EQ(none.statements, 1.0);
  EXPECT_GT(best.shared_buffers, 0.0);
  EXPECT_GT(none.shared_buffers, 10 * best.shared_buffers) << "scans read every page the index would skip";
  EXPECT_GT(best.exec_seconds, 0.0);

  // A database without the extension gives no figures rather than wrong ones.
  db::Connection admin(dsn);
  admin.exec("DROP DATABASE IF EXISTS no_statement_stats");
  admin.exec("CREATE DATABASE no_statement_stats");
  {
    std::string other = dsn;  // a URI: …/postgres?… → …/no_statement_stats?…
    other.replace(other.find("/postgres?"), 9, "/no_statement_stats");
    harness::ServerStatements elsewhere(other);
    EXPECT_FALSE(elsewhere.available());
    EXPECT_FALSE(elsewhere.per_call([] {}, 3).has_value());
  }
  admin.exec("DROP DATABASE no_statement_stats");
}

}  // namespace
