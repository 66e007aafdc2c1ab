// certbench run's API scenario (loadgen/http_run.hpp): serve in process, wrk's figures read into
// series of family http, and every endpoint's answer checked against the in-process naive page.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "certbench/core/errors.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/heap_meter.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_optimized/listing.hpp"
#include "certbench/loadgen/fetch.hpp"
#include "certbench/loadgen/http_run.hpp"
#include "certbench/loadgen/wrk.hpp"
#include "certbench/results/anatomy.hpp"
#include "support/cluster.hpp"

using namespace certbench;
using results::Metric;

namespace {

constexpr const char* kSchema = "http_run";

const std::string& dataset() {
  static const std::string dsn = [] {
    const auto d = certbench::testing::shared_cluster().dsn();
    fixtures::SeedOptions o;
    o.spec = {1000, 7, fixtures::IndexSet::best};
    o.schema = kSchema;
    fixtures::seed(d, o);
    return d;
  }();
  return dsn;
}

loadgen::HttpRunSpec small_spec() {
  loadgen::HttpRunSpec spec;
  spec.dsn = dataset();
  spec.schema = kSchema;
  spec.scale = 1000;
  spec.listings = {Listing::public_certificates};
  spec.impls = {"naive", "limited"};
  spec.connections = {2};
  spec.repetitions = 2;
  spec.server_threads = 2;
  spec.capacity_shares = {};  // the closed loop only, but in the open loop's and mixed traffic's tests
  spec.uploads = {};
  return spec;
}

// The limited listing with the last row of each page left out: an answer fast and wrong.
class ShortPages final : public ListingFunctions {
 public:
  explicit ShortPages(db::Connection& c) : inner_(c, impl_optimized::Strategy::limited_branches) {}
  std::string_view name() const noexcept override { return "limited"; }
  bool serves_keyset() const noexcept override { return inner_.serves_keyset(); }

 protected:
  static ListingPage shorter(ListingPage page) {
    if (!page.rows.empty()) page.rows.pop_back();
    return page;
  }
  ListingPage do_public_certificates(const PageRequest& p) override { return shorter(inner_.public_certificates(p)); }
  ListingPage do_user_certificates(std::int64_t u, const PageRequest& p) override {
    return shorter(inner_.user_certificates(u, p));
  }
  ListingPage do_all_certificates_with_users(const PageRequest& p) override {
    return shorter(inner_.all_certificates_with_users(p));
  }
  ListingPage do_certificates_endpoint(const PageRequest& p) override {
    return shorter(inner_.certificates_endpoint(p));
  }

 private:
  impl_optimized::Listings inner_;
};

}  // namespace

TEST(HttpRun, WrksFiguresBecomeSeriesOfEveryImplementationAndWindow) {
  const auto spec = small_spec();
  const auto r = loadgen::measure_http(spec);
  EXPECT_EQ(r.wrong, "");
  ASSERT_EQ(r.series.size(), 2u);
  for (const auto& s : r.series) {
    EXPECT_EQ(s.family, "http");
    EXPECT_EQ(s.mode, "closed_loop");
    EXPECT_EQ(s.path, "get_public_certificates");
    EXPECT_EQ(s.parameter("connections"), 2.0);
    EXPECT_EQ(s.parameter("scale"), 1000.0);
    ASSERT_NE(s.samples_of(Metric::throughput), nullptr) << s.key();
    EXPECT_EQ(s.samples_of(Metric::throughput)->size(), 2u) << "one sample per window";
    for (double t : *s.samples_of(Metric::throughput)) EXPECT_GT(t, 0) << s.key();
    for (Metric m : {Metric::latency_p50, Metric::latency_p90, Metric::latency_p99, Metric::latency_p999}) {
      ASSERT_NE(s.samples_of(m), nullptr) << s.key();
      EXPECT_EQ(s.samples_of(m)->size(), 2u);
    }
    // wrk's percentiles are ordered, and a page over loopback takes more than a microsecond.
    EXPECT_GT(s.samples_of(Metric::latency_p50)->front(), 1e-6);
    EXPECT_LE(s.samples_of(Metric::latency_p50)->front(), s.samples_of(Metric::latency_p99)->front());
    EXPECT_EQ(s.value(Metric::failures), 0.0);
    EXPECT_GT(s.value(Metric::requests).value_or(0), 0.0);
    EXPECT_GT(s.value(Metric::statements).value_or(0), 0.0) << "from the answer's Server-Timing";
    // Where a request's time went in the server, per window: its parts add up to its server time.
    const auto a = results::request_anatomy_of(s);
    ASSERT_TRUE(a) << s.key();
    EXPECT_EQ(s.samples_of(Metric::server_time)->size(), 2u);
    EXPECT_GT(a->server_time, 0.0);
    EXPECT_GT(a->client_cpu, 0.0) << "the JSON at least";
    EXPECT_GT(a->statement_cpu, 0.0) << "libpq";
    EXPECT_GE(a->queue, 0.0);
    ASSERT_TRUE(a->planning && a->execution) << "the embedded cluster tracks planning";
    EXPECT_GT(*a->execution, 0.0);
    // A thread's CPU time cannot exceed the wall time around it: queue and client CPU fit in the
    // time in the server, read from separate clocks.
    EXPECT_LE(a->queue + a->client_cpu + a->statement_cpu, a->server_time * 1.01) << s.key();
    EXPECT_GT(a->resident_bytes.value_or(0), 1e6) << "the process serving holds megabytes";
    // The request's heap, metered exactly on a request alone: where jemalloc is the allocator.
    if (harness::HeapMeter::available()) {
      EXPECT_GT(s.value(Metric::peak_heap).value_or(0), s.value(Metric::response_bytes).value_or(0))
          << "the page and its JSON body";
      EXPECT_GT(s.value(Metric::allocations).value_or(0), 0.0);
    }
  }
  // Every implementation answers the same bytes: the same body size, checked byte for byte.
  EXPECT_EQ(r.series[0].value(Metric::response_bytes), r.series[1].value(Metric::response_bytes));
  EXPECT_GT(r.series[0].value(Metric::response_bytes).value_or(0), 100.0);
  EXPECT_GT(r.series[0].value(Metric::statements), r.series[1].value(Metric::statements)) << "naive's N+1";
}

// The open loop: every implementation gets the same schedule, half of limited's closed-loop
// rate; its figures count every request the schedule held, and its histogram adds up. The next
// share is offered only to an implementation that kept up: here none can (keep_up over 1).
TEST(HttpRun, TheOpenLoopOffersEveryImplementationHalfOfLimitedsClosedLoopRate) {
  auto spec = small_spec();
  spec.capacity_shares = {0.5, 0.9};
  spec.keep_up = 1.01;
  spec.open_repetitions = 2;
  spec.open_connections = 4;
  spec.check_every = 3;
  const auto r = loadgen::measure_http(spec);
  EXPECT_EQ(r.wrong, "");
  ASSERT_EQ(r.series.size(), 6u);
  const auto& limited_closed = r.series[1];
  ASSERT_EQ(limited_closed.implementation, "limited");
  ASSERT_EQ(limited_closed.mode, "closed_loop");
  const double capacity = limited_closed.value(Metric::throughput).value_or(0);
  ASSERT_GT(capacity, 0);
  for (std::size_t i = 2; i < 4; ++i) {
    const auto& s = r.series[i];
    EXPECT_EQ(s.mode, "open_loop") << s.key();
    EXPECT_EQ(s.implementation, i == 2 ? "naive" : "limited");
    EXPECT_EQ(s.parameter("capacity_share"), 0.5);
    EXPECT_EQ(s.parameter("connections"), 4.0);
    EXPECT_DOUBLE_EQ(s.value(Metric::offered_rate).value_or(0), 0.5 * capacity) << s.key();
    // Two windows of one second on the schedule: every request due in them is counted.
    const double requests = s.value(Metric::requests).value_or(0);
    EXPECT_EQ(requests, 2 * std::floor(0.5 * capacity)) << s.key();
    ASSERT_NE(s.samples_of(Metric::throughput), nullptr);
    EXPECT_EQ(s.samples_of(Metric::throughput)->size(), 2u);
    ASSERT_TRUE(s.latency_buckets.has_value()) << s.key();
    const auto& b = *s.latency_buckets;
    EXPECT_EQ(b.count, static_cast<std::uint64_t>(requests)) << "every request, the unanswered in +Inf only";
    ASSERT_EQ(b.cumulative.size(), b.upper_bounds.size());
    EXPECT_TRUE(std::is_sorted(b.upper_bounds.begin(), b.upper_bounds.end()));
    EXPECT_TRUE(std::is_sorted(b.cumulative.begin(), b.cumulative.end()));
    // Answered requests are in the last finite bucket (10 s, beyond the 1 s deadline): the
    // failures are what is left.
    EXPECT_EQ(static_cast<double>(b.count - b.cumulative.back()), s.value(Metric::failures).value_or(-1)) << s.key();
    EXPECT_GT(b.sum, 0);
  }
  // limited keeps up with half its own capacity: nothing fails, and its percentiles exist.
  const auto& o = r.series[3];
  EXPECT_EQ(o.value(Metric::failures), 0.0);
  ASSERT_NE(o.samples_of(Metric::latency_p99), nullptr);
  EXPECT_LE(o.samples_of(Metric::latency_p50)->front(), o.samples_of(Metric::latency_p99)->front());
  EXPECT_GT(o.value(Metric::throughput).value_or(0), 0.0);
  // 90% was not offered: its series say at what rate, and have no windows.
  for (std::size_t i = 4; i < 6; ++i) {
    const auto& s = r.series[i];
    EXPECT_EQ(s.parameter("capacity_share"), 0.9) << s.key();
    EXPECT_DOUBLE_EQ(s.value(Metric::offered_rate).value_or(0), 0.9 * capacity);
    EXPECT_EQ(s.samples_of(Metric::throughput), nullptr) << s.key();
    EXPECT_FALSE(s.latency_buckets.has_value());
  }
}

// Mixed traffic: the public listing on a fixed schedule, alone and beside uploads to each save
// implementation; serve's event-loop lag measured meanwhile; the uploaded rows put back.
TEST(HttpRun, MixedTrafficMeasuresTheListingsBesideUploadsAndPutsTheRowsBack) {
  auto spec = small_spec();
  spec.listings = {};  // the mixed traffic alone
  spec.uploads = {2};
  spec.save_impls = {"naive", "thread_pool"};
  spec.mixed_rate = 50;
  spec.mixed_window = std::chrono::milliseconds(1000);
  spec.mixed_repetitions = 2;
  spec.image_bytes = 20'000;
  const auto before = certbench::testing::table_checksums(spec.dsn, kSchema);
  const auto r = loadgen::measure_http(spec);
  EXPECT_EQ(r.wrong, "");
  EXPECT_EQ(certbench::testing::table_checksums(spec.dsn, kSchema), before) << "every uploaded row as it was";
  ASSERT_EQ(r.series.size(), 3u);
  for (const auto& s : r.series) {
    EXPECT_EQ(s.family, "http");
    EXPECT_EQ(s.mode, "mixed");
    EXPECT_EQ(s.path, "save_base64_image");
    EXPECT_EQ(s.parameter("listing_rate"), 50.0);
    EXPECT_EQ(s.value(Metric::failures), 0.0) << s.key();
    EXPECT_EQ(s.value(Metric::requests), 2 * 50.0) << "two windows of a second at 50 requests/s";
    ASSERT_NE(s.samples_of(Metric::latency_p99), nullptr) << s.key();
    EXPECT_EQ(s.samples_of(Metric::latency_p99)->size(), 2u);
    ASSERT_NE(s.samples_of(Metric::event_loop_lag_p99), nullptr) << s.key();
    EXPECT_EQ(s.samples_of(Metric::event_loop_lag_p99)->size(), 2u);
  }
  EXPECT_EQ(r.series[0].implementation, "none");
  EXPECT_EQ(r.series[0].parameter("uploads"), 0.0);
  EXPECT_EQ(r.series[0].samples_of(Metric::throughput), nullptr) << "no uploads";
  for (std::size_t i = 1; i < 3; ++i) {
    const auto& s = r.series[i];
    EXPECT_EQ(s.parameter("uploads"), 2.0);
    ASSERT_NE(s.samples_of(Metric::throughput), nullptr) << s.key();
    for (double t : *s.samples_of(Metric::throughput)) EXPECT_GT(t, 0) << s.key() << ": uploads per second";
  }
  EXPECT_EQ(r.series[1].implementation, "naive");
  EXPECT_EQ(r.series[2].implementation, "thread_pool");
}

TEST(HttpRun, AServerThatAnswersFastAndWrongFailsTheCheck) {
  auto spec = small_spec();
  spec.repetitions = 1;
  spec.open_session =
      harness::replacing("limited", [](harness::ListingSession& s) { return std::make_unique<ShortPages>(*s.db); });
  const auto r = loadgen::measure_http(spec);
  EXPECT_NE(r.wrong.find("/limited/certificates/public?page=1&size=20"), std::string::npos) << r.wrong;
  EXPECT_NE(r.wrong.find("is not the in-process naive page"), std::string::npos) << r.wrong;
  EXPECT_EQ(r.series.size(), 2u) << "the figures are kept";
}

TEST(HttpRun, APointWhoseWindowWouldBeTooLongIsKeptWithoutWindows) {
  auto spec = small_spec();
  spec.max_window = std::chrono::seconds(0);  // no window fits
  const auto r = loadgen::measure_http(spec);
  EXPECT_EQ(r.wrong, "");
  ASSERT_EQ(r.series.size(), 2u);
  for (const auto& s : r.series) {
    EXPECT_EQ(s.samples_of(Metric::throughput), nullptr) << s.key();
    EXPECT_FALSE(s.value(Metric::requests).has_value());
    EXPECT_GT(s.value(Metric::statements).value_or(0), 0.0) << "the checked answer's figures stay";
    EXPECT_GT(s.value(Metric::response_bytes).value_or(0), 0.0);
  }
}

TEST(HttpRun, EndpointTargetsAreTheApisPaths) {
  const PageRequest page{2, 5, {}};
  EXPECT_EQ(loadgen::endpoint_target("naive", Listing::public_certificates, 0, page),
            "/naive/certificates/public?page=2&size=5");
  EXPECT_EQ(loadgen::endpoint_target("review", Listing::user_certificates, 42, page),
            "/review/users/42/certificates?page=2&size=5");
  EXPECT_EQ(loadgen::endpoint_target("limited", Listing::all_certificates_with_users, 0, page),
            "/limited/admin/certificates?page=2&size=5");
  EXPECT_EQ(loadgen::endpoint_target("cached", Listing::certificates_endpoint, 0, page),
            "/cached/certificates?page=2&size=5");
}

TEST(HttpRun, AServerThatCannotBeReachedIsAnEnvironmentErrorNamingWhy) {
  loadgen::WrkOptions o;
  o.url = "http://127.0.0.1:1/health";  // nothing listens on port 1
  o.connections = 1;
  try {
    loadgen::run_wrk(o);
    FAIL() << "wrk reached port 1";
  } catch (const EnvironmentError& e) {
    EXPECT_NE(std::string(e.what()).find("Connection refused"), std::string::npos) << e.what();
  }
  EXPECT_THROW(loadgen::fetch("http://127.0.0.1:1/health"), EnvironmentError);
}
