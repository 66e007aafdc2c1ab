// The memory claim's instrument: peak heap per call, jemalloc's counters (release builds only).
#include <gtest/gtest.h>

#include <memory>

#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/heap_meter.hpp"
#include "certbench/harness/implementations.hpp"
#include "support/cluster.hpp"

using namespace certbench;

namespace {
constexpr std::uint64_t kSampling = 64 * 1024;  // jemalloc samples the peak this often

std::uint64_t page_peak(const std::string& schema, std::string_view impl_name, Listing listing) {
  auto session = harness::open_listing_session(certbench::testing::shared_cluster().dsn(), schema, impl_name);
  auto& listings = session.listings;
  listings->list(listing, 0, {1, 20, std::nullopt});  // warm: prepared statements, caches
  harness::HeapMeter meter;
  meter.start();
  const auto page = listings->list(listing, 0, {1, 20, std::nullopt});
  EXPECT_EQ(page.rows.size(), 20u);
  return meter.peak().value();
}

void seed(const std::string& schema, std::uint64_t scale) {
  fixtures::SeedOptions o;
  o.spec = {scale, 3, fixtures::IndexSet::best};
  o.schema = schema;
  fixtures::seed(certbench::testing::shared_cluster().dsn(), o);
}
}  // namespace

TEST(HeapMeter, CountsWhatTheThreadHolds) {
  ASSERT_TRUE(harness::HeapMeter::available()) << "release builds run on jemalloc";
  harness::HeapMeter meter;
  meter.start();
  {
    auto block = std::make_unique<char[]>(8 << 20);
    block[0] = 1;
  }
  EXPECT_GE(meter.peak().value(), std::uint64_t{8} << 20);
  meter.start();
  EXPECT_LT(meter.peak().value(), kSampling) << "a fresh start forgets the earlier peak";
}

// The review's second problem, measured: the naive listing holds every matching row; the
// optimized one holds a page, whatever the size of the tables.
TEST(HeapMeter, NaiveHoldsTheTablesOptimizedAPage) {
  seed("heap_small", 2000);
  seed("heap_large", 40000);
  for (Listing l : {Listing::public_certificates, Listing::all_certificates_with_users, Listing::certificates_endpoint}) {
    const auto naive_small = page_peak("heap_small", "naive", l);
    const auto naive_large = page_peak("heap_large", "naive", l);
    const auto optimized_small = page_peak("heap_small", "optimized", l);
    const auto optimized_large = page_peak("heap_large", "optimized", l);
    EXPECT_GT(naive_large, 10 * naive_small) << to_string(l) << ": naive grows with the tables";
    EXPECT_GT(naive_large, std::uint64_t{20} << 20) << to_string(l);
    EXPECT_LT(optimized_large, std::uint64_t{256} << 10) << to_string(l) << ": a page, at most 256 KiB";
    EXPECT_LT(optimized_large, optimized_small + kSampling) << to_string(l) << ": the same at 2k and 40k";
  }
}
