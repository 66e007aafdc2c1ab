#include "certbench/loadgen/http_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <cmath>
#include <map>
#include <regex>
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

// The implementations of `listing` to measure: the spec's, in registry order, or all of them.
std::vector<std::string> impls_of(const HttpRunSpec& spec, Listing listing) {
  std::vector<std::string> out;
  for (auto name : harness::listing_implementations(listing))
    if (spec.impls.empty() || std::find(spec.impls.begin(), spec.impls.end(), name) != spec.impls.end())
      out.emplace_back(name);
  return out;
}

// A count of one request's Server-Timing entry `name`;desc="…";dur=N (stmt, heap, allocs).
std::optional<double> timing_count(const std::string& server_timing, const std::string& name) {
  const std::regex entry("(?:^|,)\\s*" + name + ";[^,]*dur=([0-9.]+)");
  std::smatch m;
  if (!std::regex_search(server_timing, m, entry)) return std::nullopt;
  return std::stod(m[1].str());
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

// The endpoint's capacity: the most good answers per second of `optimized` at any connection
// count, else of the fastest implementation measured; 0 when none was.
double capacity_of(const std::vector<Series>& closed_loop) {
  double optimized = 0, any = 0;
  for (const auto& s : closed_loop) {
    const double rate = s.value(Metric::throughput).value_or(0);
    any = std::max(any, rate);
    if (s.implementation == "optimized") optimized = std::max(optimized, rate);
  }
  return optimized > 0 ? optimized : any;
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

double HttpRunSpec::estimated_seconds() const {
  double points = 0;  // (listing, implementation) pairs
  for (Listing l : listings) points += static_cast<double>(impls_of(*this, l).size());
  const double w = static_cast<double>(window.count());
  double windows = 0;
  for (unsigned c : connections) windows += c == judged_connections ? repetitions : std::min(repetitions, other_repetitions);
  const double open = static_cast<double>(capacity_shares.size() * open_repetitions) *
                      (std::chrono::duration<double>(open_window).count() + 0.2);
  const double mixed = static_cast<double>(mixed_repetitions * (1 + uploads.size() * save_impls.size())) *
                       (std::chrono::duration<double>(mixed_window).count() + 0.8);
  return points * (1.2 + windows * (w + 0.1) + open) + (uploads.empty() ? 0 : mixed) + 1;
}

void make_quick(HttpRunSpec& spec) {
  spec.listings = {Listing::public_certificates};
  spec.connections = {8};
  spec.capacity_shares = {0.5};
  spec.open_window = std::chrono::milliseconds(500);  // a half-second schedule, a half-second deadline
  spec.open_deadline = std::chrono::milliseconds(500);
  spec.uploads = {};
}

void make_full(HttpRunSpec& spec) {
  spec.connections = {1, 8, 64};
  spec.uploads = {8, 32, 64};
  spec.save_impls = {"naive", "aiofiles", "thread_pool", "io_uring"};
}

HttpRunResult measure_http(const HttpRunSpec& spec, const std::function<void(std::string_view)>& tell) {
  auto say = [&](const std::string& what) {
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
  options.save_dir = save_dir;
  say("starting the server");
  http::Server server(options);
  const std::string base = server.url();
  const std::int64_t user = impl::busiest_owner(spec.dsn, spec.schema);
  auto reference = harness::open_listing_session(spec.dsn, spec.schema, "naive");

  HttpRunResult result;
  auto verify = [&](Point& p, const std::string& expected) {
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
    if (!c.wrong.empty() && result.wrong.empty()) result.wrong = url + ": " + c.wrong;
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
  harness::ServerStatements database(spec.dsn);
  auto database_time = [&]() -> std::optional<harness::ServerTime> {
    return database.available() ? database.time_so_far() : std::nullopt;
  };
  auto window = [&](Point& p) {
    const http::Anatomy before = server.anatomy(p.impl);
    const auto database_before = database_time();
    p.windows.push_back(wrk_window(p.url, p.connections, p.window));
    WindowCost cost{server.anatomy(p.impl), database_time(), sys::resident_bytes()};
    cost.anatomy -= before;
    if (cost.database && database_before) {
      cost.database->exec_seconds -= database_before->exec_seconds;
      if (cost.database->plan_seconds && database_before->plan_seconds)
        *cost.database->plan_seconds -= *database_before->plan_seconds;
      else
        cost.database->plan_seconds.reset();
    } else {
      cost.database.reset();
    }
    p.costs.push_back(cost);
  };

  for (Listing listing : spec.listings) {
    const auto impls = impls_of(spec, listing);
    if (impls.empty()) continue;
    const std::int64_t user_id = listing == Listing::user_certificates ? user : 0;
    const std::string expected =
        http::listing_body(listing, user_id, spec.page, "", reference.listings->list(listing, user_id, spec.page));
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
      verify(p, expected);
      if (p.alone >= 0.5) continue;  // a slow request is its own warm-up: its figures stand
      warm_up(endpoint_target(p.impl, listing, user_id, spec.page), p.alone);
      verify(p, expected);
    }
    // Each point's window: long enough for its implementation to answer every connection once and
    // at least three requests, or not measured at all when that would not fit the longest window.
    const double cores = std::max(1u, std::thread::hardware_concurrency());
    for (std::size_t i = 0; i < points.size(); ++i) {
      auto& p = points[i];
      const auto& first = points[i % impls.size()];
      p.statements = first.statements;
      p.peak_heap = first.peak_heap;
      p.allocations = first.allocations;
      p.body_bytes = first.body_bytes;
      p.alone = first.alone;
      const double parallel = std::min<double>(p.connections, cores);
      const double round = p.alone * p.connections / parallel;  // every connection answered once
      // At least three answers, and one round: every connection answered once.
      const double wanted = std::ceil(std::max(3 * p.alone / parallel, round));
      if (wanted > static_cast<double>(spec.max_window.count())) continue;
      p.window = std::chrono::seconds(static_cast<std::int64_t>(
          std::clamp(wanted, static_cast<double>(spec.window.count()), static_cast<double>(spec.max_window.count()))));
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
    // The open loop: the same schedule for every implementation, at each share of the capacity.
    auto open = detail::measure_open_loop(spec, server, listing, impls, user_id, capacity_of(closed), expected,
                                          [&](std::string_view what) { say(std::string(what)); }, result.wrong);
    for (std::size_t i = 0; i < impls.size(); ++i) {  // and once more after the load, its figures kept
      Point after = points[i];
      verify(after, expected);
    }
    for (auto& c : closed) result.series.push_back(std::move(c));
    for (auto& o : open) result.series.push_back(std::move(o));
  }
  if (!spec.uploads.empty()) {  // mixed traffic: optimized's public listing beside uploads
    const PageRequest& page = spec.page;
    const std::string expected = http::listing_body(Listing::public_certificates, 0, page, "",
                                                    reference.listings->list(Listing::public_certificates, 0, page));
    std::string wrong;
    auto mixed = detail::measure_mixed(spec, server, wrk, endpoint_target("optimized", Listing::public_certificates, 0, page),
                                       expected, [&](std::string_view what) { say(std::string(what)); }, wrong);
    for (auto& s : mixed) result.series.push_back(std::move(s));
    if (result.wrong.empty()) result.wrong = wrong;
  }
  server.stop();
  return result;
}

}  // namespace certbench::loadgen
