#include "certbench/harness/listing_run.hpp"

#include <algorithm>
#include <memory>
#include <span>

#include "certbench/db/connection.hpp"
#include "certbench/harness/heap_meter.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/percentile.hpp"
#include "certbench/impl_common/certificate_rows.hpp"

namespace certbench::harness {

double ListingMeasurement::percentile_ms(double q) const { return percentile(latencies_ms, q); }

double ListingMeasurement::median_ms() const { return percentile_ms(0.5); }

std::vector<ListingMeasurement> measure_listings(const ListingRunSpec& spec,
                                                 const std::function<void(std::string_view)>& progress) {
  using Clock = std::chrono::steady_clock;
  std::vector<ListingSession> subjects;
  for (auto name : listing_implementations()) subjects.push_back(open_listing_session(spec.dsn, spec.schema, name));
  const std::int64_t user = impl::busiest_owner(*subjects.front().db);

  std::vector<ListingMeasurement> out;
  HeapMeter heap;
  for (Listing listing : kListings) {
    if (progress) progress(to_string(listing));
    const std::size_t first = out.size();
    const auto measured = listing_implementations(listing).size();  // subjects are in registry order
    Clock::duration slowest{};
    for (auto& s : std::span(subjects).first(measured)) {
      out.push_back({listing, std::string(s.listings->name()), {}, 0, 0, 0, {}});
      const auto t0 = Clock::now();
      s.listings->list(listing, user, spec.page);  // warm-up: statements prepared, caches filled
      slowest = std::max(slowest, Clock::now() - t0);
      s.db->reset_stats();
    }
    const unsigned min_rounds = slowest < spec.slow_call ? spec.min_rounds : spec.min_rounds_slow;
    const auto deadline = Clock::now() + spec.budget_per_listing;
    unsigned rounds = 0;
    for (; rounds < std::max(spec.max_rounds, min_rounds) && (rounds < min_rounds || Clock::now() < deadline); ++rounds) {
      for (std::size_t i = 0; i < measured; ++i) {
        auto& m = out[first + i];
        heap.start();
        const auto t0 = Clock::now();
        auto page = subjects[i].listings->list(listing, user, spec.page);
        m.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (auto p = heap.peak()) m.peak_heap_bytes.push_back(static_cast<double>(*p));
      }
    }
    for (std::size_t i = 0; i < measured; ++i) {
      const auto& st = subjects[i].db->stats();
      auto& m = out[first + i];
      m.round_trips = static_cast<double>(st.round_trips) / rounds;
      m.rows_received = static_cast<double>(st.rows_received) / rounds;
      m.bytes_received = static_cast<double>(st.bytes_received) / rounds;
    }
  }
  return out;
}

}  // namespace certbench::harness
