#include "certbench/loadgen/http_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <cmath>
#include <map>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/harness/heap_meter.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/server_counts.hpp"
#include "certbench/http/json.hpp"
#include "certbench/http/server.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/loadgen/fetch.hpp"
#include "certbench/loadgen/open_loop.hpp"
#include "run_parts.hpp"
#include "certbench/loadgen/wrk.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/sys/shutdown.hpp"

namespace certbench::loadgen {

namespace detail {

// A closed loop's last requests are still queued for a worker when wrk closes its connections.
void drain(const http::Server& server, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (server.in_flight() > 0) {
    if (std::chrono::steady_clock::now() > deadline)
      throw EnvironmentError(fmt::format("the server was still answering {} requests {} s after a load ended",
                                         server.in_flight(), limit.count()));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// run_parts.hpp says what it is.
std::optional<double> quantile_of_all(const OpenLoopResult& r, double q) {
  const double rank = q * static_cast<double>(r.scheduled);
  const double good = static_cast<double>(r.latency.count());
  if (good == 0 || rank > good) return std::nullopt;
  return r.latency.quantile(rank / good);
}

void add_percentiles(results::Series& s, const std::vector<OpenLoopResult>& windows) {
  using results::Metric;
  for (auto [m, q] : {std::pair{Metric::latency_p50, 0.5}, std::pair{Metric::latency_p90, 0.9},
                      std::pair{Metric::latency_p99, 0.99}, std::pair{Metric::latency_p999, 0.999}}) {
    std::vector<double> v;
    for (const auto& w : windows)
      if (const auto x = quantile_of_all(w, q)) v.push_back(*x);
    if (!v.empty() && v.size() == windows.size()) s.samples[m] = std::move(v);
  }
}

namespace {
// The body check of a listing's answers: "" when `body` is `expected`.
std::string check_body(const std::string& expected, const std::string& body) {
  return body == expected ? std::string()
                          : fmt::format("the body ({} bytes) is not the in-process naive page ({} bytes)", body.size(),
                                        expected.size());
}
}  // namespace

OpenLoopOptions listing_load(const HttpRunSpec& spec, const http::Server& server, const std::string& target, double rate,
                             std::chrono::milliseconds duration, const std::string& expected) {
  OpenLoopOptions o;
  o.port = server.port();
  o.target = target;
  o.rate = rate;
  o.connections = spec.open_connections;
  o.duration = duration;
  o.deadline = spec.open_deadline;
  o.check_every = spec.check_every;
  o.check = [&expected](const std::string& body) { return check_body(expected, body); };
  return o;
}

}  // namespace detail

namespace {

using detail::drain;

namespace fs = std::filesystem;
using results::Metric;
using results::Series;

// The implementations of `listing` to measure: the spec's, or the review's subjects, in registry order.
std::vector<std::string> impls_of(const HttpRunSpec& spec, Listing listing) {
  const auto subjects = harness::listing_review_subjects();
  std::vector<std::string> out;
  for (auto name : harness::listing_implementations(listing))
    if (spec.impls.empty() ? std::find(subjects.begin(), subjects.end(), name) != subjects.end()
                           : std::find(spec.impls.begin(), spec.impls.end(), name) != spec.impls.end())
      out.emplace_back(name);
  return out;
}

}  // namespace

std::vector<std::string> detail::save_impls_of(const HttpRunSpec& spec) {
  if (!spec.save_impls.empty()) return spec.save_impls;
  const auto subjects = harness::file_save_review_subjects();
  return {subjects.begin(), subjects.end()};
}

namespace {

// The endpoint's capacity: the most good answers per second of `limited` at any connection
// count, else of the fastest implementation measured; 0 when none was.
double capacity_of(const std::vector<Series>& closed_loop) {
  double limited = 0, any = 0;
  for (const auto& s : closed_loop) {
    const double rate = s.value(Metric::throughput).value_or(0);
    any = std::max(any, rate);
    if (s.implementation == "limited") limited = std::max(limited, rate);
  }
  return limited > 0 ? limited : any;
}

}  // namespace

std::string endpoint_target(std::string_view impl, Listing listing, std::int64_t user_id, const PageRequest& page) {
  std::string path;
  switch (listing) {
    case Listing::public_certificates: path = "/certificates/public"; break;
    case Listing::user_certificates: path = fmt::format("/users/{}/certificates", user_id); break;
    case Listing::all_certificates_with_users: path = "/admin/certificates"; break;
    case Listing::certificates_endpoint: path = "/certificates"; break;
  }
  return fmt::format("/{}{}?page={}&size={}", impl, path, page.page, page.size);
}

double HttpRunSpec::estimated_seconds(const harness::CallSeconds& calls) const {
  const double threads = std::max(1u, server_threads);
  const double open_window_seconds = std::chrono::duration<double>(open_window).count();
  double total = 1;
  for (Listing l : listings) {
    std::vector<double> alone;  // one request's seconds, each implementation (0: not known)
    for (const auto& impl : impls_of(*this, l)) alone.push_back(calls ? calls(l, impl) : 0.0);
    // The open loop's rate at a share of the capacity, as the fastest implementation gives it.
    const double fastest = alone.empty() ? 0 : *std::min_element(alone.begin(), alone.end());
    const double capacity = fastest > 0 ? threads / fastest : 0;
    for (double t : alone) {
      total += 1.2 + (t >= 0.5 ? 1 : 3) * t;  // warm-up and the answer's checks
      // Each window ends when the server has answered what the connections left it.
      for (unsigned c : connections) {
        const unsigned reps = c == judged_connections ? repetitions : std::min(repetitions, other_repetitions);
        if (const auto w = detail::closed_window_seconds(*this, t, c))
          total += reps * (*w + 0.1 + std::ceil(c / threads) * t);
      }
      for (std::size_t r = 0; r < capacity_shares.size(); ++r) {
        const double rate = capacity_shares[r] * capacity;
        // Offered only while it kept up at the share before.
        if (r > 0 && capacity_shares[r - 1] * capacity * t > threads) break;
        const double left = std::min<double>(open_connections, rate * open_window_seconds);
        total += open_repetitions * (open_window_seconds + 0.2 + left * t / threads);
      }
    }
  }
  const double mixed = static_cast<double>(mixed_repetitions * (1 + uploads.size() * detail::save_impls_of(*this).size())) *
                       (std::chrono::duration<double>(mixed_window).count() + 0.8);
  return total + (uploads.empty() ? 0 : mixed);
}

void make_quick(HttpRunSpec& spec) {
  spec.listings = {Listing::public_certificates};
  // The code before the review and its literal fix: the response-time claim's subject. The best
  // measured listing is the in-process families' (and the default run's, over HTTP too).
  spec.impls = {"naive", "review"};
  spec.connections = {8};
  spec.capacity_shares = {0.5};
  spec.open_window = std::chrono::milliseconds(500);  // a half-second schedule, a half-second deadline
  spec.open_deadline = std::chrono::milliseconds(500);
  spec.open_repetitions = 2;  // the open loop judges nothing in CI's run: it is shown
  spec.uploads = {};
}

harness::OuterScenario http_scenario(const HttpRunSpec& spec) {
  return harness::OuterScenario{
      "the API over HTTP", [spec](const harness::CallSeconds& calls) { return spec.estimated_seconds(calls); },
      [spec](const auto& tell) {
        auto r = measure_http(spec, tell);
        return harness::OuterScenario::Result{std::move(r.series), std::move(r.wrong)};
      }};
}

void make_full(HttpRunSpec& spec) {
  spec.listings = {kListings.begin(), kListings.end()};
  spec.connections = {1, 8, 64};
  spec.uploads = {8, 32, 64};
  spec.save_impls = harness::file_save_implementation_names();
}

HttpRunResult measure_http(const HttpRunSpec& spec, const std::function<void(std::string_view)>& tell) {
  auto say = [&](std::string_view what) {
    if (tell) tell(what);
  };
  const std::string wrk = spec.wrk.empty() ? find_wrk() : spec.wrk;
  const fs::path save_dir = sys::make_unique_dir(sys::throwaway_parent(), "certbench-http-");
  sys::ScopedCleanup remove_saves([&save_dir] {
    std::error_code ec;
    fs::remove_all(save_dir, ec);
  });
  unsigned most = 1;
  for (unsigned c : spec.connections) most = std::max(most, c);
  http::ServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = spec.server_threads;
  options.max_connections = std::max(options.max_connections, 2 * std::max(most, spec.open_connections));
  options.api.dsn = spec.dsn;
  options.api.schema = spec.schema;
  options.api.open_session = spec.open_session;
  options.save_dir = save_dir;
  options.save = spec.save;
  say("starting the server");
  http::Server server(options);
  const std::int64_t user = impl_common::busiest_owner(spec.dsn, spec.schema);
  auto reference = harness::open_listing_session(spec.dsn, spec.schema, "naive");
  // The database server's time around each closed-loop window: pg_stat_statements' sums of this
  // user in this database, whatever the listing, so one connection reads them for every listing.
  harness::ServerStatements database(spec.dsn);

  HttpRunResult result;
  for (Listing listing : spec.listings) {
    const auto impls = impls_of(spec, listing);
    if (impls.empty()) continue;
    const std::int64_t user_id = listing == Listing::user_certificates ? user : 0;
    const std::string expected =
        http::listing_body(listing, user_id, spec.page, "", reference.listings->list(listing, user_id, spec.page));
    const auto closed = detail::measure_closed_loop(spec, server, database, wrk, listing, impls, user_id, expected,
                                                    say, result.wrong);
    // The open loop: the same schedule for every implementation, at each share of the capacity.
    auto open = detail::measure_open_loop(spec, server, listing, impls, user_id, capacity_of(closed), expected,
                                          say, result.wrong);
    // And once more after the load.
    detail::check_answers(server, listing, impls, user_id, spec.page, expected, result.wrong);
    for (const auto& c : closed) result.series.push_back(c);
    for (auto& o : open) result.series.push_back(std::move(o));
  }
  if (!spec.uploads.empty()) {  // mixed traffic: limited's public listing beside uploads
    const PageRequest& page = spec.page;
    const std::string expected = http::listing_body(Listing::public_certificates, 0, page, "",
                                                    reference.listings->list(Listing::public_certificates, 0, page));
    std::string wrong;
    auto mixed = detail::measure_mixed(spec, server, wrk, endpoint_target("limited", Listing::public_certificates, 0, page),
                                       expected, say, wrong);
    for (auto& s : mixed) result.series.push_back(std::move(s));
    if (result.wrong.empty()) result.wrong = wrong;
  }
  server.stop();
  return result;
}

}  // namespace certbench::loadgen
