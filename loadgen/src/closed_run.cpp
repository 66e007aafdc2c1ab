// The closed loop of `run --only http`: each implementation's answer checked, then wrk's windows
// per connection count, interleaved, with what the server spent on each window's requests.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <string_view>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/harness/heap_meter.hpp"
#include "certbench/harness/server_counts.hpp"
#include "certbench/http/server.hpp"
#include "certbench/loadgen/fetch.hpp"
#include "certbench/loadgen/open_loop.hpp"
#include "certbench/loadgen/wrk.hpp"
#include "certbench/sys/proc.hpp"
#include "run_parts.hpp"

namespace certbench::loadgen::detail {
namespace {

using results::Metric;
using results::Series;

// A count of one request's Server-Timing entry `name`;desc="…";dur=N (stmt, heap, allocs).
std::optional<double> timing_count(std::string_view server_timing, std::string_view name) {
  for (std::size_t at = 0; at < server_timing.size();) {
    const std::size_t end = std::min(server_timing.find(',', at), server_timing.size());
    std::string_view entry = server_timing.substr(at, end - at);
    at = end + 1;
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    if (!entry.starts_with(name) || entry.substr(name.size(), 1) != ";") continue;
    const std::size_t dur = entry.find("dur=");
    if (dur == std::string_view::npos) return std::nullopt;
    const std::string digits(entry.substr(dur + 4));
    char* parsed = nullptr;
    const double value = std::strtod(digits.c_str(), &parsed);
    return parsed == digits.c_str() ? std::nullopt : std::optional<double>(value);
  }
  return std::nullopt;
}

// One endpoint's answer read whole and checked; "" when right, else what is wrong.
struct Checked {
  std::string wrong;
  std::optional<double> statements;
  std::optional<double> peak_heap, allocations;  // where serve metered it exactly (harness::ExactHeap)
  double body_bytes = 0;
  double seconds = 0;  // the request's time, alone
};
Checked check(const std::string& url, const std::string& expected) {
  const auto started = std::chrono::steady_clock::now();
  const Reply r = fetch(url);
  Checked c;
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::string timing = r.header("server-timing");
  c.statements = timing_count(timing, "stmt");
  c.peak_heap = timing_count(timing, "heap");
  c.allocations = timing_count(timing, "allocs");
  c.body_bytes = static_cast<double>(r.body.size());
  if (r.status != 200)
    c.wrong = fmt::format("status {} ({})", r.status, first_line(r.body));
  else if (r.header("content-type") != "application/json")
    c.wrong = "Content-Type " + r.header("content-type");
  else if (r.header("server-timing").empty())
    c.wrong = "no Server-Timing header";
  else if (r.body != expected)
    c.wrong = fmt::format("the body ({} bytes) is not the in-process naive page ({} bytes)", r.body.size(),
                          expected.size());
  return c;
}

// What the server spent on one window's requests: its answers' sums, the database server's time
// (pg_stat_statements, when readable) and the process's resident bytes after.
struct WindowCost {
  http::Anatomy anatomy;
  std::optional<harness::ServerTime> database;
  std::optional<std::uint64_t> resident;
};

struct Point {
  Listing listing = Listing::public_certificates;
  std::string impl;
  unsigned connections = 0;
  std::string url;
  std::vector<WrkResult> windows;
  std::vector<WindowCost> costs;      // the server's side of each window
  std::optional<double> statements;
  std::optional<double> peak_heap, allocations;
  double body_bytes = 0;
  double alone = 0;                   // one request's time on its own
  std::chrono::seconds window{0};     // 0: not measured
};

// The mean request of each window as the server saw it (results/anatomy.hpp, request_anatomy_of):
// one sample per window of each part; a part some window lacks is left out.
void add_anatomy(Series& s, const std::vector<WindowCost>& costs) {
  std::map<Metric, std::vector<double>> parts;
  bool database = true, decode = false;
  for (const auto& c : costs) {
    const auto& a = c.anatomy;
    if (a.requests == 0) return;  // a window with no answer has no mean request
    const double n = static_cast<double>(a.requests);
    parts[Metric::server_time].push_back((a.queue + a.call) / n);
    parts[Metric::pool_wait].push_back(a.queue / n);
    parts[Metric::client_cpu].push_back((a.cpu - a.statement_cpu) / n);
    parts[Metric::statement_cpu].push_back(a.statement_cpu / n);
    parts[Metric::decode_cpu].push_back(a.decode_cpu / n);
    decode = decode || a.decode_cpu > 0;
    if (c.resident) parts[Metric::resident_bytes].push_back(static_cast<double>(*c.resident));
    if (!c.database || !c.database->plan_seconds) {
      database = false;
      continue;
    }
    const double planning = *c.database->plan_seconds / n, execution = c.database->exec_seconds / n;
    parts[Metric::server_planning].push_back(planning);
    parts[Metric::server_execution].push_back(execution);
    // What a request spent neither on its worker's CPU outside libpq nor in the database server
    // (libpq's CPU within it, as in the in-process anatomy); below zero the server's time
    // overlapped itself (sessions at once) and waiting is not known.
    const double rest = (a.call - (a.cpu - a.statement_cpu)) / n - planning - execution;
    if (rest >= 0) parts[Metric::waiting].push_back(rest);
  }
  if (!database) {
    parts.erase(Metric::server_planning);
    parts.erase(Metric::server_execution);
  }
  if (!decode) parts.erase(Metric::decode_cpu);
  for (auto& [metric, v] : parts)
    if (v.size() == costs.size()) s.samples[metric] = std::move(v);
}

Series series_of(const Point& p, const HttpRunSpec& spec) {
  Series s;
  s.family = results::family::http;
  s.path = std::string(to_string(p.listing));
  s.implementation = p.impl;
  s.mode = "closed_loop";
  s.parameters = {{"scale", static_cast<double>(spec.scale)},
                  {"connections", static_cast<double>(p.connections)},
                  {"page", static_cast<double>(spec.page.page)},
                  {"size", static_cast<double>(spec.page.size)}};
  // A point not measured (its round would not fit the longest window) keeps the figures of its
  // checked answer only, so that it is there, without windows, in every run.
  if (p.statements) s.values[Metric::statements] = *p.statements;
  if (p.body_bytes > 0) s.values[Metric::response_bytes] = p.body_bytes;
  if (p.peak_heap) s.values[Metric::peak_heap] = *p.peak_heap;
  if (p.allocations) s.values[Metric::allocations] = *p.allocations;
  if (p.windows.empty()) return s;
  add_anatomy(s, p.costs);
  double seconds = 0, good = 0, requests = 0, failures = 0;
  for (const auto& w : p.windows) {
    const double ok = static_cast<double>(w.good());
    s.samples[Metric::throughput].push_back(w.seconds > 0 ? ok / w.seconds : 0);
    if (w.requests > 0) {  // a window that saw no answer has no response times
      s.samples[Metric::latency_p50].push_back(w.p50);
      s.samples[Metric::latency_p90].push_back(w.p90);
      s.samples[Metric::latency_p99].push_back(w.p99);
      s.samples[Metric::latency_p999].push_back(w.p999);
    }
    seconds += w.seconds;
    good += ok;
    requests += static_cast<double>(w.requests);
    failures += static_cast<double>(w.failures());
  }
  if (seconds > 0) s.values[Metric::throughput] = good / seconds;
  s.values[Metric::requests] = requests;
  s.values[Metric::failures] = failures;
  return s;
}

}  // namespace

std::vector<Series> measure_closed_loop(const HttpRunSpec& spec, const http::Server& server,
                                        harness::ServerStatements& database, const std::string& wrk, Listing listing,
                                        const std::vector<std::string>& impls, std::int64_t user_id,
                                        const std::string& expected, const std::function<void(std::string_view)>& say,
                                        std::string& wrong) {
  const std::string base = server.url();
  auto verify = [&](Point& p) {
    // serve meters this request's heap (nothing else runs); the hook slows its allocations a
    // little, so `alone` is a request's time with it — it sizes windows, it is no figure.
    const harness::ExactHeap exact;
    const Checked c = check(p.url, expected);
    if (c.statements) p.statements = c.statements;
    p.peak_heap = c.peak_heap;
    p.allocations = c.allocations;
    p.body_bytes = c.body_bytes;
    p.alone = c.seconds;
    const std::string& url = p.url;
    if (!c.wrong.empty() && wrong.empty()) wrong = url + ": " + c.wrong;
  };
  // A burst on a schedule over 8 connections, a fifth of a second: every worker's session opens
  // and prepares its statements (about four requests per request's time alone, 20 to 400 per second).
  auto warm_up = [&](const std::string& target, double alone) {
    OpenLoopOptions o;
    o.port = server.port();
    o.target = target;
    o.rate = std::clamp(4 / std::max(alone, 1e-6), 20.0, 400.0);
    o.connections = 8;
    o.duration = std::chrono::milliseconds(200);
    o.deadline = spec.open_deadline;
    (void)run_open_loop(o);
    drain(server, spec.drain);
  };
  auto wrk_window = [&](const std::string& url, unsigned connections, std::chrono::seconds seconds) {
    WrkOptions w;
    w.wrk = wrk;
    w.url = url;
    w.connections = connections;
    w.threads = 1;  // one wrk thread keeps up with serve here and leaves the server the second core
    w.duration = seconds;
    const WrkResult r = run_wrk(w);
    drain(server, spec.drain);
    return r;
  };
  auto database_time = [&]() -> std::optional<harness::ServerTime> {
    return database.available() ? database.time_so_far() : std::nullopt;
  };
  auto window = [&](Point& p) {
    const http::Anatomy before = server.anatomy(p.impl);
    const auto database_before = database_time();
    p.windows.push_back(wrk_window(p.url, p.connections, p.window));
    WindowCost cost{server.anatomy(p.impl), database_time(), sys::resident_bytes()};
    cost.anatomy -= before;
    if (cost.database && database_before) cost.database = *cost.database - *database_before;
    else cost.database.reset();
    p.costs.push_back(cost);
  };

  std::vector<Point> points;
  for (unsigned c : spec.connections)
    for (const auto& impl : impls) {
      Point p;
      p.listing = listing;
      p.impl = impl;
      p.connections = c;
      p.url = base + endpoint_target(impl, listing, user_id, spec.page);
      points.push_back(std::move(p));
    }
  // Each implementation warms up (its sessions open, its statements are prepared): one request,
  // checked and timed; unless that took half a second or more, a burst the load does not count,
  // then one more request, checked and timed: the statements of a request in the steady state,
  // as the in-process figures count them.
  for (std::size_t i = 0; i < impls.size(); ++i) {
    auto& p = points[i];
    say(fmt::format("{} {}: warming up, checking the answer", to_string(listing), p.impl));
    verify(p);
    if (p.alone >= 0.5) continue;  // a slow request is its own warm-up: its figures stand
    warm_up(endpoint_target(p.impl, listing, user_id, spec.page), p.alone);
    verify(p);
  }
  // Each point's window: long enough for its implementation to answer every connection once and
  // at least three requests, or not measured at all when that would not fit the longest window.
  for (std::size_t i = 0; i < points.size(); ++i) {
    auto& p = points[i];
    const auto& first = points[i % impls.size()];
    p.statements = first.statements;
    p.peak_heap = first.peak_heap;
    p.allocations = first.allocations;
    p.body_bytes = first.body_bytes;
    p.alone = first.alone;
    if (const auto seconds = closed_window_seconds(spec, p.alone, p.connections))
      p.window = std::chrono::seconds(static_cast<std::int64_t>(*seconds));
  }
  // The windows: per connection count, the implementations in a rotating order each repetition.
  for (std::size_t c = 0; c < spec.connections.size(); ++c) {
    const unsigned reps =
        spec.connections[c] == spec.judged_connections ? spec.repetitions : std::min(spec.repetitions, spec.other_repetitions);
    for (unsigned rep = 0; rep < reps; ++rep)
      for (std::size_t k = 0; k < impls.size(); ++k) {
        auto& p = points[c * impls.size() + (k + rep) % impls.size()];
        if (p.window.count() == 0) continue;
        say(fmt::format("{} {} at {} connections, window {} of {}", to_string(listing), p.impl, p.connections,
                        rep + 1, reps));
        window(p);
      }
  }
  std::vector<Series> closed;
  for (const auto& p : points) closed.push_back(series_of(p, spec));
  return closed;
}

std::optional<double> closed_window_seconds(const HttpRunSpec& spec, double alone, unsigned connections) {
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const double parallel = std::min<double>(connections, cores);
  const double round = alone * connections / parallel;  // every connection answered once
  const double wanted = std::ceil(std::max(3 * alone / parallel, round));
  if (wanted > static_cast<double>(spec.max_window.count())) return std::nullopt;
  return std::clamp(wanted, static_cast<double>(spec.window.count()), static_cast<double>(spec.max_window.count()));
}

void check_answers(const http::Server& server, Listing listing, const std::vector<std::string>& impls,
                   std::int64_t user_id, const PageRequest& page, const std::string& expected, std::string& wrong) {
  for (const auto& impl : impls) {
    const std::string url = server.url() + endpoint_target(impl, listing, user_id, page);
    const Checked c = check(url, expected);
    if (!c.wrong.empty() && wrong.empty()) wrong = url + ": " + c.wrong;
  }
}

}  // namespace certbench::loadgen::detail
