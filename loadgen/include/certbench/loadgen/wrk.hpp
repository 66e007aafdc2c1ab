#pragma once
// Debian's wrk 4.1, the closed-loop load engineers already reach for, driven as a child process:
// a Lua done() hands certbench wrk's own summary and percentiles as JSON (no parsing of its text).
// Closed loop: each connection sends its next request only after the answer, so the load runs at
// whatever rate the server allows. After its run wrk 4.1 back-fills the requests a stalled
// connection would have sent at its mean pace (stats_correct): its percentiles are corrected
// estimates, not the raw timings (docs/api-load.md).
//
// Thread safety: run_wrk may be called from any thread; each call runs its own wrk.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace certbench::loadgen {

struct WrkOptions {
  std::string wrk;                         ///< the program ("" = wrk on $PATH)
  std::string url;                         ///< http://host:port/path?query
  unsigned connections = 8;
  unsigned threads = 1;                    ///< wrk's threads (at most `connections`)
  std::chrono::seconds duration{1};        ///< wrk counts whole seconds
  std::chrono::seconds timeout{30};        ///< a response later than this counts as a timeout
  /// Lua run before certbench's done(): a request() of its own, say (wrk's scripting API).
  std::string lua;
  std::vector<std::string> env;            ///< NAME=VALUE for wrk's environment (os.getenv in `lua`)
};

/// What one wrk run reports: wrk's own figures, in seconds and counts.
struct WrkResult {
  double seconds = 0;           ///< the window wrk measured
  std::uint64_t requests = 0;   ///< responses read whole (any status)
  std::uint64_t bytes = 0;      ///< bytes read, headers included
  std::uint64_t connect_errors = 0, read_errors = 0, write_errors = 0, timeouts = 0;
  std::uint64_t non_2xx = 0;    ///< responses with a status of 400 or more (wrk's "status" errors)
  double mean = 0, max = 0;     ///< response time
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0;
  /// Responses read whole with a status below 400: the good answers.
  [[nodiscard]] std::uint64_t good() const noexcept { return requests - std::min(requests, non_2xx); }
  /// Requests that got no good answer: status 400 or more, socket errors and timeouts.
  [[nodiscard]] std::uint64_t failures() const noexcept {
    return non_2xx + connect_errors + read_errors + write_errors + timeouts;
  }
};

/// The wrk on $PATH, or throws EnvironmentError naming the Debian package.
std::string find_wrk();

/// Runs wrk once and reads its figures. Throws EnvironmentError when wrk cannot run or says
/// nothing readable (its stderr quoted).
WrkResult run_wrk(const WrkOptions& options);

}  // namespace certbench::loadgen
