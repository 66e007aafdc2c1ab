#pragma once
// The pieces of `run --only http` (http_run.hpp) that its parts share. Internal to loadgen.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/harness/server_counts.hpp"
#include "certbench/http/server.hpp"
#include "certbench/loadgen/http_run.hpp"
#include "certbench/loadgen/open_loop.hpp"

namespace certbench::loadgen::detail {

/// Waits until the server has answered everything a finished load left it; throws
/// EnvironmentError after `limit`.
void drain(const http::Server& server, std::chrono::seconds limit);

/// The response time at quantile q over every request the schedule held, those without a good
/// answer (dropped, failed connections, not 2xx) counted beyond every good one: none when they
/// reach q.
std::optional<double> quantile_of_all(const OpenLoopResult& r, double q);

/// latency_p50 … latency_p999 of open-loop windows into `s`, one sample per window — or none at
/// all for a percentile that requests without a good answer reached in any window: a median over
/// the windows that went well would be the lucky few's.
void add_percentiles(results::Series& s, const std::vector<OpenLoopResult>& windows);

/// The save implementations the uploads go to: the spec's, or the review's subjects.
std::vector<std::string> save_impls_of(const HttpRunSpec& spec);

/// The closed loop's window (whole seconds) at `connections` for an implementation whose request
/// alone takes `alone` seconds: every connection answered once and three answers at least, no
/// shorter than spec.window; none when that would be longer than spec.max_window (not measured).
std::optional<double> closed_window_seconds(const HttpRunSpec& spec, double alone, unsigned connections);

/// The closed loop (wrk) on `listing`'s endpoint of each of `impls` at each of the spec's
/// connection counts: each implementation's answer checked against `expected` first (the first
/// wrong one into `wrong`), then interleaved windows, the database server's time around each read
/// from `database`. Series of family http, mode closed_loop — with no windows for a point whose
/// window would be too long.
std::vector<results::Series> measure_closed_loop(const HttpRunSpec& spec, const http::Server& server,
                                                 harness::ServerStatements& database, const std::string& wrk,
                                                 Listing listing, const std::vector<std::string>& impls,
                                                 std::int64_t user_id, const std::string& expected,
                                                 const std::function<void(std::string_view)>& say, std::string& wrong);

/// Checks each of `impls`' answer at `listing`'s endpoint once: the first wrong one into `wrong`.
void check_answers(const http::Server& server, Listing listing, const std::vector<std::string>& impls,
                   std::int64_t user_id, const PageRequest& page, const std::string& expected, std::string& wrong);

/// The open-loop generator's options for `target` on `server` at `rate` for `duration`, over
/// the spec's open-loop connections and deadline, every spec.check_every-th good answer's body
/// checked against `expected` (kept by reference: it must outlive the load).
OpenLoopOptions listing_load(const HttpRunSpec& spec, const http::Server& server, const std::string& target, double rate,
                             std::chrono::milliseconds duration, const std::string& expected);

/// The open loop (HttpRunSpec::capacity_shares) on `listing`'s endpoint of each of `impls`, at
/// shares of `capacity` (good answers per second); every spec.check_every-th good answer checked
/// against `expected`, the first wrong one into `wrong`. Series of family http, mode open_loop —
/// none when the capacity is too low for a window to hold a request.
std::vector<results::Series> measure_open_loop(const HttpRunSpec& spec, const http::Server& server, Listing listing,
                                               const std::vector<std::string>& impls, std::int64_t user_id,
                                               double capacity, const std::string& expected,
                                               const std::function<void(std::string_view)>& say, std::string& wrong);

/// Mixed traffic (HttpRunSpec::uploads): `listing_target`'s answers checked against `expected`;
/// the first wrong answer or failed upload into `wrong`. Series of family http, mode mixed.
std::vector<results::Series> measure_mixed(const HttpRunSpec& spec, http::Server& server, const std::string& wrk,
                                           const std::string& listing_target, const std::string& expected,
                                           const std::function<void(std::string_view)>& say, std::string& wrong);

}  // namespace certbench::loadgen::detail
