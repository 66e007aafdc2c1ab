// The memory claim's instrument: peak heap, allocations and bytes allocated per call, exact to the
// byte (jemalloc's per-thread totals and an allocation hook; release builds only).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
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
  const harness::ExactHeap exact;
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

// Sizes that are jemalloc size classes, so that what is asked for is what is held.
TEST(HeapMeter, CountsKnownAllocationsToTheByte) {
  EXPECT_FALSE(harness::HeapMeter::exact()) << "the hook slows every allocation: only while asked for";
  const harness::ExactHeap exact;
  ASSERT_TRUE(harness::HeapMeter::exact()) << "jemalloc 5.3's allocation hook installs";
  constexpr std::size_t kSmall = 4096, kMedium = 65536, kLarge = std::size_t{1} << 20;
  harness::HeapMeter meter;
  meter.start();
  void* a = std::malloc(kSmall);
  void* b = std::malloc(kMedium);
  asm volatile("" : : "r"(a), "r"(b) : "memory");  // keep both: the compiler may drop unused pairs
  std::free(a);
  void* c = std::malloc(kLarge);
  asm volatile("" : : "r"(c) : "memory");
  const auto peak = meter.peak(), allocations = meter.allocations(), allocated = meter.bytes_allocated();
  std::free(b);
  std::free(c);
  EXPECT_EQ(peak, kMedium + kLarge);  // b and c at once; a was freed before c
  EXPECT_EQ(allocations, 3u);
  EXPECT_EQ(allocated, kSmall + kMedium + kLarge);
  // Frees lower what is held, not the peak; a new start measures from what is held then.
  EXPECT_EQ(meter.peak(), kMedium + kLarge);
  meter.start();
  EXPECT_EQ(meter.peak(), 0u);
  EXPECT_EQ(meter.allocations(), 0u);
  {
    const harness::ExactHeap nested;  // shares the hook
  }
  EXPECT_TRUE(harness::HeapMeter::exact()) << "still held by the outer one";
}

// The same page decodes into the same memory every time: the figure a gate can hold still.
TEST(HeapMeter, TheSamePageHoldsTheSameHeapOnEveryCall) {
  seed("heap_small", 2000);
  for (std::string_view impl : {"limited", "pipelined"}) {
    std::vector<std::uint64_t> peaks;
    for (int i = 0; i < 10; ++i) peaks.push_back(page_peak("heap_small", impl, Listing::public_certificates));
    const auto [low, high] = std::minmax_element(peaks.begin(), peaks.end());
    EXPECT_GT(*low, 0u) << impl;
    EXPECT_LE(static_cast<double>(*high - *low), 0.01 * static_cast<double>(*low)) << impl << ": under 1% apart";
  }
}

// The review's second problem, measured: the naive listing holds every matching row; the
// limited one holds a page, whatever the size of the tables.
TEST(HeapMeter, NaiveHoldsTheTablesLimitedAPage) {
  seed("heap_small", 2000);
  seed("heap_large", 40000);
  for (Listing l : {Listing::public_certificates, Listing::all_certificates_with_users, Listing::certificates_endpoint}) {
    const auto naive_small = page_peak("heap_small", "naive", l);
    const auto naive_large = page_peak("heap_large", "naive", l);
    const auto limited_small = page_peak("heap_small", "limited", l);
    const auto limited_large = page_peak("heap_large", "limited", l);
    EXPECT_GT(naive_large, 10 * naive_small) << to_string(l) << ": naive grows with the tables";
    EXPECT_GT(naive_large, std::uint64_t{20} << 20) << to_string(l);
    EXPECT_LT(limited_large, std::uint64_t{256} << 10) << to_string(l) << ": a page, at most 256 KiB";
    EXPECT_LT(limited_large, limited_small + kSampling) << to_string(l) << ": the same at 2k and 40k";
  }
}
