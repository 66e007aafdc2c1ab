#include "certbench/harness/listing_run.hpp"

#include <algorithm>
#include <memory>
#include <span>

#include "certbench/db/connection.hpp"
#include "certbench/harness/heap_meter.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/rounds.hpp"
#include "certbench/results/statistics.hpp"
#include "certbench/impl_common/certificate_rows.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace certbench::harness {

namespace {

// One thing measured in the rounds: a page of a listing from one implementation's session.
struct Subject {
  ListingSession* session;
  Listing listing;
  PageRequest request;
  ListingMeasurement* out;
};

// idx_scan of every index in the session's schema (the dataset's: its search_path), by name.
std::map<std::string, double> index_scan_counts(db::Connection& c) {
  std::map<std::string, double> out;
  auto r = c.exec("SELECT indexrelname, idx_scan FROM pg_stat_user_indexes WHERE schemaname = current_schema()");
  for (std::size_t i = 0; i < r.rows(); ++i) out[std::string(r.text(i, 0))] = static_cast<double>(r.int64(i, 1));
  return out;
}

// A session's pending statistics reach the shared counters when it next goes idle.
void flush_statistics(db::Connection& c) { c.exec("SELECT pg_stat_force_next_flush()"); }

// An empty measurement of one subject, its figures filled by run_rounds.
ListingMeasurement measurement_of(Listing listing, std::string_view impl, std::int64_t page, bool keyset) {
  ListingMeasurement m{};
  m.listing = listing;
  m.impl = std::string(impl);
  m.page = page;
  m.keyset = keyset;
  return m;
}

// The rounds of harness/rounds.hpp over the subjects; counts per call from each session's stats;
// then the server's counts of a few calls of each subject alone.
void run_rounds(const ListingRunSpec& spec, std::int64_t user, std::vector<Subject>& subjects) {
  std::vector<RoundSubject> rounds;
  for (auto& s : subjects) {
    RoundSubject r;
    r.calls = [&s, user](std::size_t, std::size_t count) {
      for (std::size_t n = 0; n < count; ++n) s.session->listings->list(s.listing, user, s.request);
    };
    r.meter_heap = true;
    rounds.push_back(std::move(r));
  }
  RoundsSpec rs;
  rs.budget = spec.budget_per_listing;
  rs.min_rounds = spec.min_rounds;
  rs.min_rounds_slow = spec.min_rounds_slow;
  rs.slow_call = spec.slow_call;
  rs.max_rounds = spec.max_rounds;
  rs.server_time_from = spec.server_in_rounds_from;
  rs.heartbeat = spec.heartbeat;
  // Counted after the warm-up: preparing the statements is not part of a call's cost.
  rs.after_warmup = [&subjects] {
    for (auto& s : subjects) s.session->db->reset_stats();
  };
  // Counts per call from each session's stats, before the heap's calls add to them.
  rs.after_rounds = [&subjects, &rounds] {
    for (std::size_t k = 0; k < subjects.size(); ++k) {
      auto& out = *subjects[k].out;
      const auto made = static_cast<double>(rounds[k].calls_made);
      const auto& st = subjects[k].session->db->stats();  // each subject has a session of its own
      out.round_trips = static_cast<double>(st.round_trips) / made;
      out.statements = static_cast<double>(st.statements) / made;
      out.rows_received = static_cast<double>(st.rows_received) / made;
      out.bytes_received = static_cast<double>(st.bytes_received) / made;
    }
  };
  std::optional<ServerStatements> server;
  if (spec.server_calls > 0) {
    server.emplace(spec.dsn);
    if (server->available()) rs.server_time = [&server] { return server->time_so_far(); };
  }
  harness::run_rounds(rounds, rs);
  for (std::size_t k = 0; k < subjects.size(); ++k) {
    auto& out = *subjects[k].out;
    for (double sec : rounds[k].seconds) out.latencies_ms.push_back(sec * 1e3);
    for (double sec : rounds[k].cpu_seconds) out.cpu_ms.push_back(sec * 1e3);
    for (double sec : rounds[k].statement_cpu_seconds) out.statement_cpu_ms.push_back(sec * 1e3);
    for (double sec : rounds[k].decode_cpu_seconds) out.decode_cpu_ms.push_back(sec * 1e3);
    for (double sec : rounds[k].server_exec_seconds) out.server_exec_ms.push_back(sec * 1e3);
    for (double sec : rounds[k].server_plan_seconds) out.server_plan_ms.push_back(sec * 1e3);
    out.peak_heap_bytes = std::move(rounds[k].peak_heap);
    out.allocations = std::move(rounds[k].allocations);
    out.bytes_allocated = std::move(rounds[k].bytes_allocated);
  }
  if (spec.server_calls == 0 && !spec.count_index_scans) return;
  if (!spec.count_index_scans && !server->available()) return;
  // The rounds' scans of every session counted now, before any subject's window.
  if (spec.count_index_scans)
    for (auto& s : subjects) flush_statistics(*s.session->db);
  for (auto& s : subjects) {
    const auto median_ms = results::percentile(s.out->latencies_ms, 0.5);
    // A slow call once; a fast one as often as about 0.1 s allows (at least server_calls, at most ten
    // times that), so that the server's times per call are not three calls' noise.
    const double median_s = median_ms * 1e-3;
    const unsigned calls =
        median_s > 0.2 * std::chrono::duration<double>(spec.slow_call).count()
            ? 1u
            : std::clamp(static_cast<unsigned>(0.1 / std::max(median_s, 1e-6)), std::max(1u, spec.server_calls),
                         std::max(1u, 10 * spec.server_calls));
    // One untimed call first: whatever the rounds left to expire (a cache's TTL) is refilled now,
    // not counted as the path's own statements.
    s.session->listings->list(s.listing, user, s.request);
    auto call = [&s, user] { s.session->listings->list(s.listing, user, s.request); };
    std::map<std::string, double> before;
    if (spec.count_index_scans) {
      flush_statistics(*s.session->db);
      before = index_scan_counts(*s.session->db);
    }
    if (server && server->available()) s.out->server = server->per_call(call, calls);
    else
      for (unsigned n = 0; n < calls; ++n) call();
    if (spec.count_index_scans) {
      flush_statistics(*s.session->db);
      for (const auto& [name, scans] : index_scan_counts(*s.session->db))
        if (const double d = scans - before[name]; d > 0) s.out->index_scans[name] = d;
    }
  }
}

}  // namespace

std::vector<ListingMeasurement> measure_listings(const ListingRunSpec& spec,
                                                 const std::function<void(std::string_view)>& progress) {
  return std::move(measure_listings_across(spec, {spec.schema}, progress).front());
}

std::vector<std::vector<ListingMeasurement>> measure_listings_across(
    const ListingRunSpec& spec, const std::vector<std::string>& schemas,
    const std::function<void(std::string_view)>& progress) {
  auto chosen = [&spec](std::string_view name) {
    return spec.implementations.empty() ||
           std::find(spec.implementations.begin(), spec.implementations.end(), name) != spec.implementations.end();
  };
  std::vector<std::vector<ListingSession>> sessions(schemas.size());  // per schema, in registry order
  for (std::size_t k = 0; k < schemas.size(); ++k)
    for (auto name : listing_implementations())
      if (chosen(name)) sessions[k].push_back(spec.open(spec.dsn, schemas[k], name));
  const std::int64_t user = impl_common::busiest_owner(spec.dsn, schemas.front());

  std::vector<std::vector<ListingMeasurement>> out(schemas.size());
  for (auto& o : out) o.reserve(spec.listings.size() * listing_implementations().size());  // subjects point into them
  for (Listing listing : spec.listings) {
    if (progress) progress(to_string(listing));
    std::vector<Subject> subjects;
    const auto for_listing = listing_implementations(listing);
    for (std::size_t k = 0; k < schemas.size(); ++k)
      for (auto& s : sessions[k]) {
        if (std::find(for_listing.begin(), for_listing.end(), s.listings->name()) == for_listing.end()) continue;
        out[k].push_back(measurement_of(listing, s.listings->name(), spec.page.page, false));
        subjects.push_back({&s, listing, spec.page, &out[k].back()});
      }
    run_rounds(spec, user, subjects);
  }
  return out;
}

std::vector<ListingMeasurement> measure_page_depth(const ListingRunSpec& spec, std::string_view impl,
                                                   const std::vector<std::int64_t>& pages,
                                                   const std::function<void(std::string_view)>& progress) {
  std::vector<ListingMeasurement> out;
  out.reserve(spec.listings.size() * pages.size() * 2);
  std::vector<ListingSession> sessions;  // one per subject: counts per call are per session
  sessions.reserve(out.capacity());
  std::int64_t user = 0;
  for (Listing listing : spec.listings) {
    if (progress) progress(fmt::format("{} at pages {}", to_string(listing), fmt::join(pages, ", ")));
    std::vector<Subject> subjects;
    for (const bool keyset : {false, true})
      for (auto page : pages) {
        sessions.push_back(spec.open(spec.dsn, spec.schema, impl));
        auto& s = sessions.back();
        if (user == 0) user = impl_common::busiest_owner(*s.db);
        PageRequest request{page, spec.page.size, std::nullopt};
        if (keyset) {  // the cursor of page P: walk the P-1 pages before it (not timed)
          PageRequest walk{1, spec.page.size, std::nullopt};
          for (std::int64_t p = 1; p < page && walk.page > 0; ++p) {
            auto before = s.listings->list(listing, user, walk);
            if (!before.next) {
              walk.page = 0;  // past the end
              break;
            }
            walk.after = before.next;
          }
          if (walk.page == 0) continue;
          request.after = walk.after;
        }
        if (s.listings->list(listing, user, request).rows.size() < static_cast<std::size_t>(spec.page.size)) continue;
        out.push_back(measurement_of(listing, impl, page, keyset));
        subjects.push_back({&s, listing, request, &out.back()});
      }
    run_rounds(spec, user, subjects);
  }
  return out;
}

}  // namespace certbench::harness
