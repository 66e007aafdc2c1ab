// One contract for the template and spa lookups — naive, in-process cache, Redis — against real
// PostgreSQL and a real Redis: same data as the database, changes seen on the next read, TTL,
// deletion, one load per stampede, and Redis failing without wrong answers.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <barrier>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_optimized/reference_data.hpp"
#include "certbench/redis/client.hpp"
#include "certbench/redis/embedded_redis.hpp"
#include "support/cluster.hpp"

using namespace certbench;
using namespace std::chrono_literals;

namespace {

constexpr const char* kSchema = "reference";

// The clock of the in-process caches made here: tests move it.
std::atomic<std::int64_t> g_fake_ms{0};
impl_optimized::CacheOptions::Clock::time_point fake_now() {
  return impl_optimized::CacheOptions::Clock::time_point(std::chrono::milliseconds(g_fake_ms.load()));
}

class Reference : public ::testing::TestWithParam<std::string> {
 protected:
  static void SetUpTestSuite() {
    fixtures::SeedOptions o;
    o.spec = {20'000, 5, fixtures::IndexSet::best};  // 10 templates, 40 spas
    o.schema = kSchema;
    fixtures::seed(dsn(), o);
  }
  static void TearDownTestSuite() { redis_holder().reset(); }

  static const std::string& dsn() { return certbench::testing::shared_cluster().dsn(); }
  static std::unique_ptr<redis::EmbeddedRedis>& redis_holder() {
    static std::unique_ptr<redis::EmbeddedRedis> server;
    return server;
  }
  static redis::EmbeddedRedis* redis_server() {  // started on first use
    if (!redis_holder()) redis_holder() = std::make_unique<redis::EmbeddedRedis>(redis::EmbeddedRedis::start());
    return redis_holder().get();
  }

  // A session of the test's own, beside certbench's: to look and to change things behind its back.
  static db::Connection& sql() {
    static auto c = [] {
      auto connection = std::make_unique<db::Connection>(dsn());
      impl_common::use_dataset(*connection, kSchema);
      return connection;
    }();
    return *c;
  }

  static std::unique_ptr<ReferenceData> make(const std::string& name, std::chrono::milliseconds ttl = 60s) {
    harness::ReferenceOptions o;
    o.ttl = ttl;
    if (name == "redis") o.redis = redis_server()->endpoint();
    return harness::make_reference_data(name, dsn(), kSchema, o);
  }

  // A template no certificate uses, so that it can be deleted.
  static std::int64_t insert_unused_template(std::int64_t id) {
    sql().exec("INSERT INTO certificate_templates (id, name, kind, is_public, is_active, created_by, layout, "
               "created_at, updated_at) SELECT " + std::to_string(id) +
               ", 'Unused', 'spa_therapist', true, true, created_by, layout, now(), now() "
               "FROM certificate_templates WHERE id = 1");
    return id;
  }
};

INSTANTIATE_TEST_SUITE_P(Variants, Reference, ::testing::Values("naive", "in_process", "redis"),
                         [](const auto& param_info) { return param_info.param; });

TEST_P(Reference, AnswersWhatTheDatabaseHolds) {
  auto naive = make("naive");
  auto variant = make(GetParam());
  const auto templates = sql().exec("SELECT id, name, layout::text, is_public AND is_active FROM certificate_templates ORDER BY id");
  ASSERT_EQ(templates.rows(), 10u);
  std::size_t public_count = 0;
  for (int pass = 0; pass < 2; ++pass) {  // cached variants: a miss, then a hit
    for (std::size_t i = 0; i < templates.rows(); ++i) {
      const auto id = templates.int64(i, 0);
      auto got = variant->template_by_id(id);
      ASSERT_TRUE(got) << id;
      EXPECT_EQ(got->name, templates.text(i, 1));
      EXPECT_EQ(got->layout, templates.text(i, 2));
      EXPECT_EQ(*got, *naive->template_by_id(id));
      if (pass == 0 && templates.boolean(i, 3)) ++public_count;
    }
    auto list = variant->public_templates();
    ASSERT_TRUE(list);
    EXPECT_EQ(list->size(), public_count);
    EXPECT_EQ(*list, *naive->public_templates());
    for (std::int64_t spa = 1; spa <= 40; ++spa) {
      auto got = variant->spa_by_id(spa);
      ASSERT_TRUE(got);
      EXPECT_EQ(got->name, sql().exec("SELECT name FROM spas WHERE id = " + std::to_string(spa)).text(0, 0));
      EXPECT_EQ(*got, *naive->spa_by_id(spa));
    }
    EXPECT_FALSE(variant->template_by_id(999'999));
    EXPECT_FALSE(variant->spa_by_id(-1));
  }
  const auto c = variant->counters();
  if (GetParam() != "naive") {
    EXPECT_EQ(c.misses, 10u + 1 + 40 + 2 + 2);  // everything twice missing, unknown ids never cached
    EXPECT_EQ(c.hits, 10u + 1 + 40);
    EXPECT_EQ(c.fallbacks, 0u);
  }
}

TEST_P(Reference, AChangeThroughCertbenchIsSeenByTheNextRead) {
  auto variant = make(GetParam());
  const auto before = variant->template_by_id(2);
  const auto list_before = variant->public_templates();
  ASSERT_TRUE(before);
  TemplateChange change;
  change.name = "Renamed by the test";
  change.layout = R"({"page":"A5"})";
  change.is_public = !(before->is_public && before->is_active);
  change.is_active = true;
  ASSERT_TRUE(variant->update_template(2, change));
  auto after = variant->template_by_id(2);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->name, "Renamed by the test");
  EXPECT_EQ(after->layout, R"({"page":"A5"})");
  EXPECT_EQ(after->is_public, *change.is_public);
  const auto list_after = variant->public_templates();
  const auto listed = [](const TemplateListRef& list) {
    return std::any_of(list->begin(), list->end(), [](const auto& t) { return t.id == 2; });
  };
  EXPECT_NE(listed(list_before), listed(list_after));
  EXPECT_EQ(*after, *make("naive")->template_by_id(2));
  EXPECT_FALSE(variant->update_template(999'999, change));
}

TEST_P(Reference, ADeletedTemplateIsNotFound) {
  auto variant = make(GetParam());
  const auto id = insert_unused_template(50'000);
  ASSERT_TRUE(variant->template_by_id(id));
  ASSERT_TRUE(variant->template_by_id(id));  // cached now
  EXPECT_TRUE(variant->delete_template(id));
  EXPECT_FALSE(variant->template_by_id(id));
  EXPECT_EQ(sql().exec("SELECT count(*) FROM certificate_templates WHERE id = 50000").int64(0, 0), 0);
  EXPECT_FALSE(variant->delete_template(id));
}

TEST_P(Reference, AStampedeOnOneKeyCausesOneDatabaseRoundTrip) {
  if (GetParam() == "naive") GTEST_SKIP() << "the naive variant asks the database on every call, by design";
  auto variant = make(GetParam());
  ASSERT_TRUE(variant->template_by_id(1));  // the statement is prepared now
  const auto before = variant->counters();
  // Hold the first load inside PostgreSQL until every other thread has joined it.
  db::Connection locker(dsn());
  impl_common::use_dataset(locker, kSchema);
  db::Transaction lock(locker);
  locker.exec("LOCK TABLE certificate_templates IN ACCESS EXCLUSIVE MODE");
  constexpr std::size_t kThreads = 16;
  std::vector<TemplateRef> got(kThreads);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < kThreads; ++i) threads.emplace_back([&, i] { got[i] = variant->template_by_id(3); });
  const bool all_joined = certbench::testing::eventually(
      [&] { return variant->counters().waits - before.waits == kThreads - 1; }, 30);
  lock.commit();
  for (auto& t : threads) t.join();
  ASSERT_TRUE(all_joined) << "waits: " << variant->counters().waits - before.waits;
  const auto after = variant->counters();
  EXPECT_EQ(after.db_round_trips - before.db_round_trips, 1u);
  EXPECT_EQ(after.loads - before.loads, 1u);
  for (const auto& t : got) {
    ASSERT_TRUE(t);
    EXPECT_EQ(t->id, 3);
  }
}

// ---- the in-process cache: TTL and size bound ----------------------------------------------------

class InProcessCache : public Reference {};

TEST_F(InProcessCache, AStaleEntryIsRefreshedAfterTheTtl) {
  impl_optimized::CacheOptions o;
  o.ttl = 1000ms;
  o.now = &fake_now;
  impl_optimized::InProcessReferenceData cache(dsn(), kSchema, o);
  const auto original = cache.template_by_id(4)->name;
  sql().exec("UPDATE certificate_templates SET name = 'Changed behind its back' WHERE id = 4");
  g_fake_ms += 999;
  EXPECT_EQ(cache.template_by_id(4)->name, original);  // within the TTL: the cached value
  g_fake_ms += 1;
  EXPECT_EQ(cache.template_by_id(4)->name, "Changed behind its back");
}

TEST_F(InProcessCache, TheOldestEntryGoesWhenFull) {
  impl_optimized::CacheOptions o;
  o.capacity = 3;
  impl_optimized::InProcessReferenceData cache(dsn(), kSchema, o);
  for (std::int64_t id : {1, 2, 3, 4}) cache.template_by_id(id);
  EXPECT_EQ(cache.counters().evictions, 1u);
  const auto loads = cache.counters().loads;
  cache.template_by_id(4);
  cache.template_by_id(2);
  EXPECT_EQ(cache.counters().loads, loads);  // still there
  cache.template_by_id(1);
  EXPECT_EQ(cache.counters().loads, loads + 1);  // evicted first
}

TEST(TtlCache, AFailedLoadReachesEveryWaiterAndCachesNothing) {
  impl_optimized::TtlCache<int, int> cache;
  std::atomic<int> calls{0};
  std::barrier start(8);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      start.arrive_and_wait();
      try {
        cache.get(7, [&]() -> std::shared_ptr<const int> {
          ++calls;
          std::this_thread::sleep_for(50ms);
          throw std::runtime_error("database down");
        });
      } catch (const std::runtime_error&) {
        ++failures;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 8);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(*cache.get(7, [] { return std::make_shared<const int>(42); }), 42);
}

TEST(TtlCache, AnInvalidationDuringALoadKeepsTheLoadedValueOut) {
  impl_optimized::TtlCache<int, int> cache;
  std::atomic<bool> loading{false}, invalidated{false};
  std::thread loader([&] {
    cache.get(1, [&] {
      loading = true;
      while (!invalidated) std::this_thread::yield();
      return std::make_shared<const int>(1);  // read before the change: stale
    });
  });
  while (!loading) std::this_thread::yield();
  cache.invalidate(1);  // the change
  invalidated = true;
  loader.join();
  EXPECT_EQ(*cache.get(1, [] { return std::make_shared<const int>(2); }), 2);
}

// ---- Redis: the TTL, and failures ------------------------------------------------------------------

class RedisCache : public Reference {
 protected:
  static impl_optimized::RedisCacheOptions options(const redis::Endpoint& endpoint) {
    impl_optimized::RedisCacheOptions o;
    o.endpoint = endpoint;
    o.timeout = 200ms;
    o.retry_after = 0ms;  // try Redis again on every call
    return o;
  }
};

TEST_F(RedisCache, AStaleEntryIsRefreshedAfterTheTtl) {
  auto o = options(redis_server()->endpoint());
  o.ttl = 300ms;
  impl_optimized::RedisReferenceData cache(dsn(), kSchema, o);
  const auto original = cache.template_by_id(5)->name;
  sql().exec("UPDATE certificate_templates SET name = 'Changed behind its back' WHERE id = 5");
  EXPECT_EQ(cache.template_by_id(5)->name, original);
  EXPECT_TRUE(certbench::testing::eventually([&] { return cache.template_by_id(5)->name == "Changed behind its back"; }, 10));
  EXPECT_GE(cache.counters().hits, 1u);
}

TEST_F(RedisCache, RedisDownMeansAnswersFromTheDatabaseCounted) {
  auto server = redis::EmbeddedRedis::start();
  impl_optimized::RedisReferenceData cache(dsn(), kSchema, options(server.endpoint()));
  const auto before = *cache.template_by_id(6);
  EXPECT_EQ(*cache.template_by_id(6), before);
  EXPECT_EQ(cache.counters().hits, 1u);
  server.stop();
  EXPECT_EQ(*cache.template_by_id(6), before);
  EXPECT_EQ(cache.counters().fallbacks, 1u);
  TemplateChange change;
  change.name = "Renamed while Redis was down";
  EXPECT_TRUE(cache.update_template(6, change));
  EXPECT_EQ(cache.template_by_id(6)->name, "Renamed while Redis was down");
  EXPECT_EQ(*cache.spa_by_id(7), *make("naive")->spa_by_id(7));
  EXPECT_EQ(cache.counters().fallbacks, 3u);
}

TEST_F(RedisCache, AnInvalidationMissedWhileRedisHungIsSentBeforeTheNextRead) {
  auto server = redis::EmbeddedRedis::start();
  impl_optimized::RedisReferenceData cache(dsn(), kSchema, options(server.endpoint()));
  ASSERT_TRUE(cache.template_by_id(7));  // now in Redis
  ASSERT_EQ(kill(server.pid(), SIGSTOP), 0);
  TemplateChange change;
  change.name = "Renamed while Redis hung";
  EXPECT_TRUE(cache.update_template(7, change));  // its DEL times out
  EXPECT_EQ(cache.template_by_id(7)->name, "Renamed while Redis hung");
  EXPECT_GE(cache.counters().fallbacks, 1u);
  ASSERT_EQ(kill(server.pid(), SIGCONT), 0);
  // Redis still holds the old value; the kept DEL goes first, so it is never served.
  EXPECT_EQ(cache.template_by_id(7)->name, "Renamed while Redis hung");
  EXPECT_EQ(cache.template_by_id(7)->name, "Renamed while Redis hung");
  EXPECT_GE(cache.counters().hits, 1u);
  redis::Client direct(server.endpoint());
  auto stored = direct.get("certbench:" + std::string(kSchema) + ":template:7");
  ASSERT_TRUE(stored);
  EXPECT_NE(stored->find("Renamed while Redis hung"), std::string::npos);
}

TEST(RedisEndpoint, ParsesUrlsAndRefusesOthers) {
  auto e = redis::Endpoint::parse("redis://:secret@cache.internal:6380/2");
  EXPECT_EQ(e.host, "cache.internal");
  EXPECT_EQ(e.port, 6380);
  EXPECT_EQ(e.password, "secret");
  EXPECT_EQ(e.database, 2);
  EXPECT_EQ(e.describe(), "redis://:***@cache.internal:6380/2");
  EXPECT_EQ(redis::Endpoint::parse("redis://localhost").port, 6379);
  for (const char* bad : {"http://x", "redis://", "redis://h:0", "redis://h:99999", "redis://h:1/x"})
    EXPECT_THROW(redis::Endpoint::parse(bad), UsageError) << bad;
}

}  // namespace
