// The event-loop driver: the concurrency asked for is reached, lag is measured on the loop thread
// and sees a blocked loop, failures are counted; the thread driver prepares every thread before
// the window and brings errors back; and the file-save load saves both files, records them on the
// rows it saves for without changing the dataset, and measures the disk's ceiling beside them.
#include <gtest/gtest.h>

#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/listing_loop.hpp"
#include "certbench/harness/loop_load.hpp"
#include "certbench/harness/save_run.hpp"
#include "certbench/harness/thread_load.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "certbench/impl_common/idle_pool.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "support/cluster.hpp"

using namespace certbench;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// A request that waits without blocking the loop, as a database call or an offloaded save does.
asio::awaitable<void> waits(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  co_await timer.async_wait(asio::use_awaitable);
}

// A request that blocks the loop thread, as the naive save does.
asio::awaitable<void> blocks(std::chrono::milliseconds d) {
  std::this_thread::sleep_for(d);
  co_return;
}

asio::awaitable<void> fails_every_third(std::uint64_t i) {
  if (i % 3 == 0) throw InputError("refused");
  co_return;
}

TEST(LoopLoad, ReachesTheConcurrencyAskedForAndMeasuresLagOnTheLoop) {
  asio::io_context io;
  harness::LoopLoadSpec spec;
  spec.concurrency = 8;
  spec.requests = 64;
  const auto r = harness::run_loop_load(io, spec, [](std::uint64_t) { return waits(5ms); });
  EXPECT_EQ(r.concurrency, 8u);
  EXPECT_EQ(r.max_in_flight, 8u);
  EXPECT_EQ(r.requests, 64u);
  EXPECT_EQ(r.failures, 0u);
  EXPECT_GT(r.lag_ms.n, 0u);
  EXPECT_TRUE(r.lag_on_loop_thread);
  EXPECT_GE(r.latency_ms.median, 5.0);  // a timer never fires early
  EXPECT_GT(r.requests_per_second, 0.0);
}

TEST(LoopLoad, ABlockedLoopShowsAsLag) {
  asio::io_context io;
  harness::LoopLoadSpec spec;
  spec.concurrency = 2;
  spec.requests = 6;
  const auto r = harness::run_loop_load(io, spec, [](std::uint64_t) { return blocks(30ms); });
  EXPECT_EQ(r.requests, 6u);
  // The probe's timer was due 1 ms after it was set, and the thread slept 30 ms at a time.
  EXPECT_GE(r.lag_ms.max, 25.0);
  EXPECT_TRUE(r.lag_on_loop_thread);
}

TEST(LoopLoad, FailuresAreCountedAndTheLoadGoesOn) {
  asio::io_context io;
  harness::LoopLoadSpec spec;
  spec.concurrency = 4;
  spec.requests = 30;
  const auto r = harness::run_loop_load(io, spec, [](std::uint64_t i) { return fails_every_third(i); });
  EXPECT_EQ(r.requests, 30u);
  EXPECT_EQ(r.failures, 10u);
  EXPECT_EQ(r.first_failure, "refused");
}

TEST(LoopLoad, ADurationBoundsTheWindow) {
  asio::io_context io;
  harness::LoopLoadSpec spec;
  spec.concurrency = 3;
  spec.duration = 200ms;
  spec.warmup_requests = 3;
  const auto r = harness::run_loop_load(io, spec, [](std::uint64_t) { return waits(2ms); });
  EXPECT_GT(r.requests, 3u);
  EXPECT_GE(r.seconds, 0.2);
  EXPECT_EQ(r.max_in_flight, 3u);
}

TEST(IdlePool, CountsSessionsHeldAtOnceTheirTimeAndEachWait) {
  impl_common::IdlePool<int> pool;
  pool.add(1);
  pool.add(2);
  using Clock = impl_common::IdlePool<int>::Clock;
  pool.reset_usage();  // a measurement starts
  {
    auto a = pool.take(Clock::now() - 5ms);  // asked 5 ms ago
    auto b = pool.take();                     // no asking time: no wait recorded
    const auto u = pool.usage();
    EXPECT_EQ(u.size, 2u);
    EXPECT_EQ(u.max_in_use, 2u);
    ASSERT_EQ(u.waits_seconds.size(), 1u);
    EXPECT_GE(u.waits_seconds[0], 0.005);
    EXPECT_EQ(u.held_seconds, 0.0);  // counted when a lease ends
    std::this_thread::sleep_for(2ms);
  }
  const auto held = pool.usage().held_seconds;
  EXPECT_GE(held, 2 * 0.002);  // two leases, each at least 2 ms
  // A reset starts afresh; the objects are back and can be taken again.
  pool.reset_usage();
  EXPECT_EQ(pool.usage().max_in_use, 0u);
  EXPECT_EQ(pool.usage().held_seconds, 0.0);
  EXPECT_TRUE(pool.usage().waits_seconds.empty());
  { auto c = pool.take(Clock::now()); }
  EXPECT_EQ(pool.usage().max_in_use, 1u);
  EXPECT_EQ(pool.usage().waits_seconds.size(), 1u);
}

// A pool nobody measures (serve's, answering for days) keeps no wait: memory that would grow with
// every request. Its other figures are counted as before.
TEST(IdlePool, KeepsNoWaitUntilAMeasurementStarts) {
  impl_common::IdlePool<int> pool;
  pool.add(1);
  using Clock = impl_common::IdlePool<int>::Clock;
  for (int i = 0; i < 1000; ++i) auto lease = pool.take(Clock::now() - 1ms);
  EXPECT_TRUE(pool.usage().waits_seconds.empty());
  EXPECT_EQ(pool.usage().max_in_use, 1u);
  pool.reset_usage();
  { auto lease = pool.take(Clock::now() - 1ms); }
  EXPECT_EQ(pool.usage().waits_seconds.size(), 1u);
}

// A discarded lease's object (a session whose connection broke) does not come back: the pool
// shrinks, and take_or_make() makes a new object in its place while the others are reused.
TEST(IdlePool, ADiscardedObjectIsDroppedAndMadeAgainOnDemand) {
  impl_common::IdlePool<int> pool;
  int made = 0;
  auto make = [&] { return 100 + ++made; };
  pool.add(1);
  pool.add(2);
  int kept = 0;
  {
    auto a = pool.take_or_make(make);
    auto b = pool.take_or_make(make);
    EXPECT_EQ(made, 0);  // both idle objects reused
    EXPECT_EQ(*a + *b, 3);
    a.discard();
    kept = *b;
  }
  EXPECT_EQ(pool.usage().size, 1u);
  {
    auto c = pool.take_or_make(make);
    auto d = pool.take_or_make(make);
    EXPECT_EQ(made, 1);
    EXPECT_EQ(std::min(*c, *d), kept);  // the one given back, and one new
    EXPECT_EQ(std::max(*c, *d), 101);
  }
  EXPECT_EQ(pool.usage().size, 2u);
  EXPECT_EQ(pool.usage().max_in_use, 2u);
}

TEST(SaveRun, EveryImplementationSavesBothFilesAndRecordsThemWithoutChangingTheDataset) {
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  fixtures::SeedOptions o;
  o.spec = {1000, 9, fixtures::IndexSet::best};
  o.schema = "saves";
  fixtures::seed(dsn, o);
  const auto before = certbench::testing::table_checksums(dsn, "saves");
  const auto dir = sys::make_unique_dir(sys::throwaway_parent(), "certbench-test-saves-");
  harness::SaveRunSpec spec;
  spec.dsn = dsn;
  spec.schema = "saves";
  spec.dir = dir;
  spec.functions = {SaveFunction::base64_image, SaveFunction::certificate_file};
  spec.concurrency = {1, 4};
  spec.duration_per_point = 150ms;
  spec.image_bytes = 10'000;
  spec.file_bytes = 12'000;
  spec.max_ceiling_threads = 3;
  const auto points = harness::measure_saves(spec);
  ASSERT_EQ(points.size(), 20u);  // 2 paths x 2 concurrencies x (4 implementations + the ceiling)
  for (const auto& p : points) {
    EXPECT_GT(p.load.requests, 0u) << p.impl;
    EXPECT_EQ(p.load.failures, 0u) << p.impl;
    if (p.impl == harness::kWriteCeiling) {
      EXPECT_EQ(p.load.max_in_flight, std::min(p.load.concurrency, 3u));  // threads, capped
      EXPECT_EQ(p.load.lag_ms.n, 0u);  // no loop: no lag
      EXPECT_FALSE(p.load.pool.has_value());  // no database
    } else {
      EXPECT_EQ(p.load.max_in_flight, p.load.concurrency) << p.impl;
      EXPECT_TRUE(p.load.lag_on_loop_thread) << p.impl;
      // Every save recorded its file through the recorder's pool once: one wait each, repetitions merged.
      ASSERT_TRUE(p.load.pool.has_value()) << p.impl;
      EXPECT_EQ(p.load.pool->sessions, spec.db_sessions);
      EXPECT_EQ(p.load.pool->waits_ms.size(), p.load.requests) << p.impl;
      EXPECT_GE(p.load.pool->max_in_use, 1u);
      EXPECT_LE(p.load.pool->max_in_use, std::min(spec.db_sessions, p.load.concurrency)) << p.impl;
      EXPECT_EQ(p.load.pool->mean_in_use_samples.size(), std::max(1u, spec.repetitions));
    }
  }
  for (unsigned c : {1u, 4u})
    for (SaveFunction function : spec.functions) {
      std::vector<std::string> order;
      for (const auto& p : points)
        if (p.function == function && p.load.concurrency == c) order.push_back(p.impl);
      EXPECT_EQ(order, (std::vector<std::string>{"naive", "aiofiles", "thread_pool", "io_uring", "write-only"}));
    }
  // Every file is the image or the PDF, byte for byte, under a certificate's file name.
  SaveOptions options;
  const auto image = impl_common::decode_base64_image(harness::realistic_png_data_url(10'000), options).bytes;
  const auto pdf = harness::realistic_pdf(12'000);
  EXPECT_EQ(pdf.size(), 12'000u);
  EXPECT_TRUE(pdf.starts_with("%PDF-"));
  std::size_t pngs = 0, pdfs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_FALSE(sys::is_temporary_name(entry.path().filename().string())) << entry.path();
    const auto bytes = sys::read_file(entry.path()).value_or("");
    if (entry.path().extension() == ".png") {
      ++pngs;
      EXPECT_EQ(bytes, image) << entry.path();
    } else {
      ++pdfs;
      EXPECT_EQ(entry.path().extension(), ".pdf");
      EXPECT_EQ(bytes, pdf) << entry.path();
    }
  }
  EXPECT_GT(pngs, 0u);
  EXPECT_GT(pdfs, 0u);
  // Both columns were recorded with the values they had: the dataset is as seeded.
  EXPECT_EQ(certbench::testing::table_checksums(dsn, "saves"), before);
  std::filesystem::remove_all(dir);
}

TEST(ThreadLoad, EveryThreadPreparesOnItsOwnThreadBeforeAnyCallAndErrorsComeBack) {
  std::mutex m;
  std::set<unsigned> indexes;
  std::set<std::thread::id> threads;
  std::atomic<unsigned> prepared{0};
  std::atomic<bool> called_early{false};
  const auto r = harness::run_on_threads(4, 100ms, [&](unsigned index) -> harness::ThreadCall {
    {
      std::lock_guard lock(m);
      indexes.insert(index);
      threads.insert(std::this_thread::get_id());
    }
    ++prepared;
    return [&] {
      if (prepared.load() != 4) called_early = true;
      std::this_thread::sleep_for(1ms);
    };
  });
  EXPECT_EQ(indexes, (std::set<unsigned>{0, 1, 2, 3}));
  EXPECT_EQ(threads.size(), 4u);
  EXPECT_FALSE(threads.contains(std::this_thread::get_id()));
  EXPECT_FALSE(called_early);
  EXPECT_EQ(r.threads, 4u);
  EXPECT_GE(r.calls, 4u);
  EXPECT_GE(r.latency_ms.median, 1.0);  // a 1 ms sleep never ends early
  EXPECT_GE(r.seconds, 0.1);

  std::atomic<int> calls{0};
  EXPECT_THROW(harness::run_on_threads(3, 10s,
                                       [&](unsigned) -> harness::ThreadCall {
                                         return [&] {
                                           if (++calls == 5) throw InputError("the fifth call fails");
                                         };
                                       }),
               InputError);  // the failure stops every thread (else this would last 10 s)
  EXPECT_THROW(harness::run_on_threads(2, 10s,
                                       [&](unsigned i) -> harness::ThreadCall {
                                         if (i == 1) throw EnvironmentError("no session");
                                         return [] {};
                                       }),
               EnvironmentError);
}

TEST(ListingLoop, AListingRunsAtTheConcurrencyAskedForWithTheDatabaseOffTheLoop) {
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  fixtures::SeedOptions o;
  o.spec = {1000, 9, fixtures::IndexSet::best};
  o.schema = "listing_loop";
  fixtures::seed(dsn, o);
  harness::LoadSpec spec;
  spec.dsn = dsn;
  spec.schema = "listing_loop";
  spec.impl = "limited";
  spec.listing = Listing::certificates_endpoint;
  spec.page = {1, 20, std::nullopt};
  spec.clients = 8;
  spec.duration = 300ms;
  const auto r = harness::run_listing_on_loop(spec, 2);
  EXPECT_EQ(r.max_in_flight, 8u);  // 8 requests in flight on 2 sessions: the loop never waited
  EXPECT_GT(r.requests, 8u);
  EXPECT_EQ(r.failures, 0u);
  EXPECT_TRUE(r.lag_on_loop_thread);
  // The pool's figures cover the window only (not the warm-up): one wait per request measured;
  // 8 requests queue for 2 sessions, so both were held at once and on average more than one.
  ASSERT_TRUE(r.pool.has_value());
  EXPECT_EQ(r.pool->sessions, 2u);
  EXPECT_EQ(r.pool->max_in_use, 2u);
  EXPECT_EQ(r.pool->waits_ms.size(), r.requests);
  EXPECT_GT(r.pool->mean_in_use, 1.0);
  EXPECT_LE(r.pool->mean_in_use, 2.0 + 1e-9);
  const auto cli = certbench::testing::run_certbench({"load", "endpoint", "--impl", "naive", "--event-loop", "--clients",
                                                      "4", "--sessions", "2", "--seconds", "0.3", "--json", "--schema",
                                                      "listing_loop", "--dsn", dsn});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find(R"("reached":4)"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find(R"("lag_ms")"), std::string::npos) << cli.out;
}

}  // namespace
