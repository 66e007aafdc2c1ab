#pragma once
// The API over HTTP as `certbench run --only http` measures it (docs/api-load.md): `certbench serve`
// started in this process on a free loopback port, each listing endpoint of every implementation
// driven by wrk (closed loop) at each connection count, then by the open-loop generator
// (open_loop.hpp) at shares of the limited implementation's closed-loop maximum (else the
// fastest measured's) — the same schedule for every implementation — implementations interleaved
// in repetitions so every figure has an interval, and every endpoint's answer verified.
//
// Verification: before and after each endpoint's load, one request per implementation is read
// whole and checked — status 200, Content-Type application/json, a Server-Timing header, and the
// body byte for byte against the in-process naive implementation's page for the same request
// (what the backend answered before the review). Under load, every response's status is checked
// by wrk (any status outside 2xx/3xx counts as a failure); under the open loop, every
// `check_every`th good answer's body is checked too.
//
// Thread safety: measure_http runs on the calling thread (the server on threads of its own).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/file_saves.hpp"
#include "certbench/core/listing.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/scenarios.hpp"
#include "certbench/results/run.hpp"

namespace certbench::loadgen {

struct HttpRunSpec {
  std::string dsn;
  std::string schema = "certbench";
  std::uint64_t scale = 0;              ///< the dataset's, a parameter of every series
  /// The public listing (make_full: all four): at 100k certificates each naive endpoint's windows
  /// take about 45 seconds of the default run's five minutes.
  std::vector<Listing> listings{Listing::public_certificates};
  /// The listing implementations measured; empty: the review's subjects
  /// (harness::listing_review_subjects).
  std::vector<std::string> impls;
  /// The closed loop's connection counts: the judged one by default (make_full: 1, 8 and 64).
  std::vector<unsigned> connections{8};
  PageRequest page{1, 20, {}};
  /// Each measured wrk run lasts at least `window` (wrk counts whole seconds), longer for a slow
  /// implementation — a round of its closed loop (one request's time alone × connections ÷
  /// cores: every connection answered once) and three answers at least — up to `max_window`. A
  /// point that would need a longer window is not measured (its series has no windows): at 100k
  /// certificates, naive at 64 connections.
  std::chrono::seconds window{1};
  std::chrono::seconds max_window{10};
  /// Interleaved windows per point, the samples of each interval: six (the sign test's, for a
  /// verdict) at `judged_connections`, where the response-time claim is judged; three (a range)
  /// at the other connection counts.
  unsigned repetitions = 6;
  unsigned judged_connections = 8;
  unsigned other_repetitions = 3;
  /// The open loop: for each share of the endpoint's capacity — the most requests per second
  /// `limited` answered at any connection count (else the fastest implementation measured) —
  /// every implementation gets the same schedule, `open_repetitions` windows of `open_window`
  /// each, over at most `open_connections` connections; a request not answered within
  /// `open_deadline` of its intended start is dropped. Empty: no open loop. An implementation
  /// is offered a share only after it answered at least `keep_up` of the schedule well at the
  /// share before (a rate sweep stops where the implementation fell behind); a share not offered
  /// keeps a series without windows.
  std::vector<double> capacity_shares{0.5, 0.9};
  double keep_up = 0.9;
  std::chrono::milliseconds open_window{1000};
  std::chrono::milliseconds open_deadline{1000};
  unsigned open_repetitions = 3;
  unsigned open_connections = 64;
  std::uint64_t check_every = 101;      ///< under the open loop, every so many good answers' bodies checked
  /// Mixed traffic (the review's concurrency problem as users meet it): `limited`'s public
  /// listing at `mixed_rate` requests per second on a fixed schedule while wrk keeps `uploads`
  /// image saves (save_base64_image, `image_bytes`) in flight on each save implementation — and
  /// with no uploads, the reference. Figures: the listings' response times from the schedule
  /// and serve's event-loop lag. `mixed_repetitions` interleaved windows per point, each
  /// `mixed_window` of listings inside the uploads' (wrk's whole seconds). Empty: none.
  std::vector<unsigned> uploads{64};  ///< make_full: 8, 32 and 64
  /// The save implementations uploaded to; empty: the review's subjects — its save (naive), its
  /// fix (aiofiles) and the best measured (thread_pool; harness::file_save_review_subjects).
  /// make_full: every one (io_uring too).
  std::vector<std::string> save_impls;
  double mixed_rate = 400;
  std::chrono::milliseconds mixed_window{700};  ///< inside wrk's whole seconds of uploads, after 200 ms
  /// Six: the sign test's interval, for the concurrency claim and the mixed-traffic goal.
  unsigned mixed_repetitions = 6;
  std::size_t image_bytes = 200'000;
  SaveOptions save;                     ///< serve's save options (its pools' threads, fsync)
  unsigned server_threads = 4;          ///< serve's worker threads (and each implementation's sessions)
  std::chrono::seconds drain{120};      ///< the most to wait for the server to finish what a load left
  std::string wrk;                      ///< "" = wrk on $PATH
  /// How serve opens its listing sessions (a test's wrong implementation comes in here:
  /// harness::replacing); the in-process reference the answers are checked against is always
  /// open_listing_session's naive.
  harness::ListingOpener open_session = harness::open_listing_session;
  /// Seconds the scenario should take, for the estimate of time left: a slow implementation's
  /// windows are longer (`window`), and each ends when the server has answered what it left,
  /// from `calls` where they are known.
  [[nodiscard]] double estimated_seconds(const harness::CallSeconds& calls = {}) const;
};

struct HttpRunResult {
  std::vector<results::Series> series;  ///< family http, mode closed_loop, open_loop, then mixed
  /// What failed verification ("" = every check passed): the first wrong answer, in one line.
  std::string wrong;
};

/// `tell`: the point under way, for a progress line.
HttpRunResult measure_http(const HttpRunSpec& spec, const std::function<void(std::string_view)>& tell = {});

/// `spec` as the run's scenario "the API over HTTP" (harness::RunPlan::http): its estimate and
/// its measurement, a wrong answer failing the run with the figures kept.
harness::OuterScenario http_scenario(const HttpRunSpec& spec);

/// `run --quick`: the public listing only, naive and review (the response-time claim's subject), at
/// 8 connections, and under the open loop at half its capacity in two half-second windows; no
/// mixed traffic.
void make_quick(HttpRunSpec& spec);

/// `run --full`: every listing, the closed loop at 1, 8 and 64 connections, uploads at 8, 32 and 64.
void make_full(HttpRunSpec& spec);

/// The path of `listing`'s endpoint for `impl` (docs/api.md), with its page query.
std::string endpoint_target(std::string_view impl, Listing listing, std::int64_t user_id, const PageRequest& page);

}  // namespace certbench::loadgen
