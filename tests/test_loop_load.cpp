// The event-loop driver: the concurrency asked for is reached, lag is measured on the loop thread
// and sees a blocked loop, failures are counted; and the file-save load records on the rows it
// saves for, without changing the dataset.
#include <gtest/gtest.h>

#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/listing_loop.hpp"
#include "certbench/harness/loop_load.hpp"
#include "certbench/harness/save_run.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "certbench/sys/files.hpp"
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
  EXPECT_GT(r.lag_samples, 0u);
  EXPECT_TRUE(r.lag_on_loop_thread);
  EXPECT_GE(r.latency_p50_ms, 5.0);  // a timer never fires early
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
  EXPECT_GE(r.lag_max_ms, 25.0);
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

TEST(SaveRun, EveryImplementationSavesTheImageAndRecordsItWithoutChangingTheDataset) {
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
  spec.concurrency = {1, 4};
  spec.duration_per_point = 150ms;
  spec.image_bytes = 10'000;
  const auto points = harness::measure_saves(spec);
  ASSERT_EQ(points.size(), 6u);
  for (const auto& p : points) {
    EXPECT_GT(p.load.requests, 0u) << p.impl;
    EXPECT_EQ(p.load.failures, 0u) << p.impl;
    EXPECT_EQ(p.load.max_in_flight, p.load.concurrency) << p.impl;
    EXPECT_TRUE(p.load.lag_on_loop_thread) << p.impl;
  }
  // Every file is the image, byte for byte, under a certificate's image file name.
  SaveOptions options;
  const auto image = impl::decode_base64_image(harness::realistic_png_data_url(10'000), options).bytes;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_FALSE(impl::is_temporary_name(entry.path().filename().string())) << entry.path();
    EXPECT_EQ(sys::read_file(entry.path()).value_or(""), image) << entry.path();
    EXPECT_EQ(entry.path().extension(), ".png");
  }
  EXPECT_GT(files, 0u);
  EXPECT_EQ(certbench::testing::table_checksums(dsn, "saves"), before);
  std::filesystem::remove_all(dir);
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
  spec.impl = "optimized";
  spec.listing = Listing::certificates_endpoint;
  spec.page = {1, 20, std::nullopt};
  spec.clients = 8;
  spec.duration = 300ms;
  const auto r = harness::run_listing_on_loop(spec, 2);
  EXPECT_EQ(r.max_in_flight, 8u);  // 8 requests in flight on 2 sessions: the loop never waited
  EXPECT_GT(r.requests, 8u);
  EXPECT_EQ(r.failures, 0u);
  EXPECT_TRUE(r.lag_on_loop_thread);
  const auto cli = certbench::testing::run_certbench({"load", "endpoint", "--impl", "naive", "--event-loop", "--clients",
                                                      "4", "--sessions", "2", "--seconds", "0.3", "--json", "--schema",
                                                      "listing_loop", "--dsn", dsn});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find(R"("reached":4)"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find(R"("lag_ms")"), std::string::npos) << cli.out;
}

}  // namespace
