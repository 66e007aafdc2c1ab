// One contract, every listing implementation: same inputs, same outputs, field by field.
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
#include "support/cluster.hpp"

using namespace certbench;

namespace {

constexpr const char* kSchema = "contract";

// A seeded dataset and one session per implementation, shared by the tests of this process.
class Contract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string dsn = certbench::testing::shared_cluster().dsn();
    fixtures::SeedOptions o;
    o.spec = {3000, 11, fixtures::IndexSet::best};
    o.schema = kSchema;
    fixtures::seed(dsn, o);
    for (auto name : harness::listing_implementations())
      sessions()[std::string(name)] = harness::open_listing_session(dsn, kSchema, name);
  }
  static void TearDownTestSuite() { sessions().clear(); }

  static std::map<std::string, harness::ListingSession>& sessions() {
    static std::map<std::string, harness::ListingSession> s;
    return s;
  }
  static ListingFunctions& impl(const std::string& name) { return *sessions().at(name).listings; }
  static db::Connection& any_db() { return *sessions().begin()->second.db; }

  // Every implementation answers `page` of `listing`; all answers must be equal. Returns the answer.
  static ListingPage same_everywhere(Listing listing, std::int64_t user, const PageRequest& page) {
    std::optional<ListingPage> first;
    std::string first_name;
    for (auto name : harness::listing_implementations()) {
      auto& li = impl(std::string(name));
      if (page.after && !li.serves_keyset()) continue;
      ListingPage got = li.list(listing, user, page);
      if (!first) {
        first = std::move(got);
        first_name = name;
        continue;
      }
      EXPECT_EQ(got.rows.size(), first->rows.size()) << name << " vs " << first_name << ", " << to_string(listing)
                                                     << " page " << page.page << " size " << page.size;
      for (std::size_t i = 0; i < std::min(got.rows.size(), first->rows.size()); ++i)
        EXPECT_EQ(got.rows[i], first->rows[i]) << name << " vs " << first_name << ", " << to_string(listing)
                                               << " page " << page.page << " row " << i;
      EXPECT_EQ(got.next, first->next) << name << " vs " << first_name;
    }
    return *first;
  }

  static std::int64_t count(const std::string& sql) { return any_db().exec(sql).int64(0, 0); }
  static std::int64_t public_total() {
    std::int64_t total = 0;
    for (const char* t : {"esthetician", "massage_therapist", "nail_technician", "spa_therapist", "yoga_instructor"})
      total += count(std::string("SELECT count(*) FROM ") + t + "_certificates WHERE is_public");
    return total;
  }
  static std::string all_certificates() {
    return "(SELECT created_by FROM esthetician_certificates UNION ALL SELECT created_by FROM "
           "massage_therapist_certificates UNION ALL SELECT created_by FROM nail_technician_certificates "
           "UNION ALL SELECT created_by FROM spa_therapist_certificates UNION ALL SELECT created_by FROM "
           "yoga_instructor_certificates)";
  }
  // A user owning exactly `n` certificates (0: none), or -1.
  static std::int64_t user_owning(std::int64_t n) {
    auto r = any_db().exec(
        n == 0 ? "SELECT id FROM users u WHERE NOT EXISTS (SELECT 1 FROM " + all_certificates() +
                     " c WHERE c.created_by = u.id) ORDER BY id LIMIT 1"
               : "SELECT created_by FROM " + all_certificates() + " c GROUP BY 1 HAVING count(*) = " +
                     std::to_string(n) + " ORDER BY 1 LIMIT 1");
    return r.rows() ? r.int64(0, 0) : -1;
  }
};

TEST_F(Contract, PagesAgreeFirstMiddleLastAndPastTheEnd) {
  const std::int64_t total = public_total();
  for (std::int64_t size : {1, 20, 1000}) {
    const std::int64_t last = (total + size - 1) / size;
    for (std::int64_t page : {std::int64_t{1}, std::max<std::int64_t>(1, last / 2), last, last + 1}) {
      for (Listing l : {Listing::public_certificates, Listing::certificates_endpoint}) {
        auto got = same_everywhere(l, 0, {page, size, std::nullopt});
        const std::int64_t expected = page < last ? size : page == last ? total - (last - 1) * size : 0;
        EXPECT_EQ(static_cast<std::int64_t>(got.rows.size()), expected) << to_string(l) << " " << page << "/" << size;
      }
    }
  }
  for (std::int64_t page : {std::int64_t{1}, std::int64_t{37}, std::int64_t{150}, std::int64_t{151}})  // admin: all 3000 certificates, 20 a page
    EXPECT_EQ(same_everywhere(Listing::all_certificates_with_users, 0, {page, 20, std::nullopt}).rows.size(),
              page <= 150 ? 20u : 0u);
}

TEST_F(Contract, ExtraFieldsAreThereAndRight) {
  auto endpoint = same_everywhere(Listing::certificates_endpoint, 0, {1, 50, std::nullopt});
  for (const auto& r : endpoint.rows) {
    EXPECT_TRUE(r.is_public);
    EXPECT_EQ(r.spa_name.value_or(""),
              any_db().exec("SELECT name FROM spas WHERE id = " + std::to_string(r.spa_id)).text(0, 0));
    EXPECT_EQ(r.template_name.value_or(""),
              any_db().exec("SELECT name FROM certificate_templates WHERE id = " + std::to_string(r.template_id)).text(0, 0));
    EXPECT_FALSE(r.user_email);
  }
  auto admin = same_everywhere(Listing::all_certificates_with_users, 0, {2, 50, std::nullopt});
  for (const auto& r : admin.rows) {
    auto u = any_db().exec("SELECT email, full_name FROM users WHERE id = " + std::to_string(r.created_by));
    EXPECT_EQ(r.user_email.value_or(""), u.text(0, 0));
    EXPECT_EQ(r.user_full_name.value_or(""), u.text(0, 1));
    EXPECT_FALSE(r.spa_name);
  }
}

TEST_F(Contract, UsersWithNoneOneAndManyCertificates) {
  const std::int64_t none = user_owning(0), one = user_owning(1);
  const std::int64_t many = any_db().exec("SELECT created_by FROM " + all_certificates() +
                                          " c GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1").int64(0, 0);
  ASSERT_GE(none, 0);
  ASSERT_GE(one, 0);
  EXPECT_TRUE(same_everywhere(Listing::user_certificates, none, {1, 20, std::nullopt}).rows.empty());
  EXPECT_EQ(same_everywhere(Listing::user_certificates, one, {1, 20, std::nullopt}).rows.size(), 1u);
  const auto owned = count("SELECT count(*) FROM " + all_certificates() + " c WHERE created_by = " + std::to_string(many));
  ASSERT_GT(owned, 40);
  for (std::int64_t page : {std::int64_t{1}, std::int64_t{2}, (owned + 19) / 20, (owned + 19) / 20 + 1}) {
    auto got = same_everywhere(Listing::user_certificates, many, {page, 20, std::nullopt});
    for (const auto& r : got.rows) EXPECT_EQ(r.created_by, many);
  }
  // An unknown user is an empty page, not an error.
  EXPECT_TRUE(same_everywhere(Listing::user_certificates, 987654321, {1, 20, std::nullopt}).rows.empty());
}

// The order is total and the same everywhere: generated_at descending, kind, id descending —
// checked here independently of the implementations, across exact ties between kinds.
TEST_F(Contract, OrderIsTotalAndBreaksTiesByKindThenId) {
  std::vector<CertificateRow> all;
  for (std::int64_t page = 1;; ++page) {
    auto got = same_everywhere(Listing::all_certificates_with_users, 0, {page, 1000, std::nullopt});
    if (got.rows.empty()) break;
    all.insert(all.end(), got.rows.begin(), got.rows.end());
  }
  ASSERT_EQ(all.size(), 3000u);
  std::size_t cross_kind_ties = 0;
  for (std::size_t i = 1; i < all.size(); ++i) {
    const auto &a = all[i - 1], &b = all[i];
    ASSERT_TRUE(listed_before(a, b)) << i;
    ASSERT_GE(a.generated_at_us, b.generated_at_us);
    if (a.generated_at_us == b.generated_at_us) {
      ASSERT_LE(a.kind, b.kind);
      if (a.kind == b.kind) {
        ASSERT_GT(a.id, b.id);
      }
      cross_kind_ties += a.kind != b.kind;
    }
  }
  EXPECT_GE(cross_kind_ties, 1u) << "the dataset must exercise the kind tie-break";
}

TEST_F(Contract, KeysetPagesEqualOffsetPages) {
  for (Listing l : {Listing::public_certificates, Listing::all_certificates_with_users, Listing::certificates_endpoint}) {
    auto& limited = impl("limited");
    PageRequest keyset{1, 97, std::nullopt};
    for (std::int64_t page = 1;; ++page) {
      auto by_offset = limited.list(l, 0, {page, 97, std::nullopt});
      auto by_keyset = page == 1 ? limited.list(l, 0, keyset) : same_everywhere(l, 0, keyset);
      ASSERT_EQ(by_keyset, by_offset) << to_string(l) << " page " << page;
      if (!by_keyset.next) break;
      keyset.after = by_keyset.next;
    }
  }
}

TEST_F(Contract, BadRequestsAreRefusedTheSameWay) {
  for (auto name : harness::listing_implementations()) {
    auto& li = impl(std::string(name));
    EXPECT_THROW(li.public_certificates({0, 20, std::nullopt}), InputError) << name;
    EXPECT_THROW(li.public_certificates({1, 0, std::nullopt}), InputError) << name;
    EXPECT_THROW(li.public_certificates({1, 1001, std::nullopt}), InputError) << name;
    EXPECT_THROW(li.user_certificates(-1, {1, 20, std::nullopt}), InputError) << name;
    const PageRequest keyset{1, 20, ListingPosition{0, "spa_therapist", 1}};
    if (li.serves_keyset()) EXPECT_NO_THROW(li.public_certificates(keyset)) << name;
    else EXPECT_THROW(li.public_certificates(keyset), InputError) << name;
    const auto keysets = harness::listing_keyset_implementations();  // what the CLI's advice names
    EXPECT_EQ(li.serves_keyset(), std::find(keysets.begin(), keysets.end(), name) != keysets.end()) << name;
  }
  // A page far past the end is empty everywhere, without overflow.
  EXPECT_TRUE(same_everywhere(Listing::public_certificates, 0, {INT64_MAX, 1000, std::nullopt}).rows.empty());
}

// The N+1 the review names, counted by the database wrapper.
TEST_F(Contract, RoundTripsPerCall) {
  auto trips = [](const std::string& name, Listing l) {
    auto& s = sessions().at(name);
    // Warm: statements prepared — for the same page, as the best listings' statements carry its bounds.
    s.listings->list(l, 0, {2, 20, std::nullopt});
    s.db->reset_stats();
    s.listings->list(l, 0, {2, 20, std::nullopt});
    return s.db->stats().round_trips;
  };
  EXPECT_EQ(trips("naive", Listing::public_certificates), 5u);          // one per certificate table
  EXPECT_EQ(trips("naive", Listing::all_certificates_with_users), 25u);  // + one owner per row shown
  EXPECT_EQ(trips("naive", Listing::certificates_endpoint), 45u);        // + a spa and a template per row
  for (const char* name : {"review", "limited", "pipelined"})
    for (Listing l : {Listing::public_certificates, Listing::all_certificates_with_users, Listing::certificates_endpoint})
      EXPECT_EQ(trips(name, l), 1u) << name << " " << to_string(l);
  // The review's "in parallel": one statement per certificate table, spread over sessions — a wait each.
  for (Listing l : {Listing::public_certificates, Listing::all_certificates_with_users, Listing::certificates_endpoint})
    EXPECT_EQ(trips("parallel", l), 5u) << to_string(l);
}

// Statements beside round trips: the same count everywhere but in a pipeline.
TEST_F(Contract, StatementsPerCall) {
  auto statements = [](const std::string& name, Listing l) {
    auto& s = sessions().at(name);
    s.listings->list(l, 0, {2, 20, std::nullopt});  // warm, the same page
    s.db->reset_stats();
    s.listings->list(l, 0, {2, 20, std::nullopt});
    return std::pair(s.db->stats().statements, s.db->stats().round_trips);
  };
  for (Listing l : {Listing::public_certificates, Listing::all_certificates_with_users, Listing::certificates_endpoint}) {
    for (const char* name : {"naive", "review", "limited", "parallel"}) {
      const auto [st, trips] = statements(name, l);
      EXPECT_EQ(st, trips) << name << " " << to_string(l);
    }
    EXPECT_EQ(statements("pipelined", l), std::pair(std::uint64_t{5}, std::uint64_t{1})) << to_string(l);
  }
}

}  // namespace
