// The open loop of `run --only http` (http_run.hpp): each listing endpoint at shares of its
// capacity, the same schedule for every implementation.
#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "certbench/loadgen/open_loop.hpp"
#include "run_parts.hpp"

namespace certbench::loadgen::detail {
namespace {

using results::Metric;
using results::Series;

struct OpenPoint {
  Listing listing;
  std::string impl;
  double share = 0;  // of the endpoint's capacity
  double rate = 0;   // requests per second, the schedule
  std::string target;
  std::vector<OpenLoopResult> windows;
};

Series series_of(const OpenPoint& p, const HttpRunSpec& spec) {
  Series s = open_loop_series(p.windows, p.rate);
  s.path = std::string(to_string(p.listing));
  s.implementation = p.impl;
  s.parameters = {{"scale", static_cast<double>(spec.scale)},
                  {"capacity_share", p.share},
                  {"connections", static_cast<double>(spec.open_connections)},
                  {"page", static_cast<double>(spec.page.page)},
                  {"size", static_cast<double>(spec.page.size)}};
  return s;
}

// True when the point's windows answered at least `share` of their schedule well.
bool kept_up(const OpenPoint& p, double share) {
  double scheduled = 0, good = 0;
  for (const auto& w : p.windows) {
    scheduled += static_cast<double>(w.scheduled);
    good += static_cast<double>(w.good());
  }
  return scheduled > 0 && good >= share * scheduled;
}

}  // namespace

std::vector<Series> measure_open_loop(const HttpRunSpec& spec, const http::Server& server, Listing listing,
                                      const std::vector<std::string>& impls, std::int64_t user_id, double capacity,
                                      const std::string& expected, const std::function<void(std::string_view)>& say,
                                      std::string& wrong) {
  std::vector<OpenPoint> open;
  const double window_seconds = std::chrono::duration<double>(spec.open_window).count();
  if (!spec.capacity_shares.empty() &&
      capacity * window_seconds * *std::min_element(spec.capacity_shares.begin(), spec.capacity_shares.end()) >= 1)
    for (double share : spec.capacity_shares)
      for (const auto& impl : impls)
        open.push_back({listing, impl, share, std::min(kMaxOpenLoopRate, share * capacity), endpoint_target(impl, listing, user_id, spec.page), {}});
  // An implementation steps up to the next share only while it keeps up with the schedule.
  std::vector<bool> offered(impls.size(), true);
  for (std::size_t r = 0; r < spec.capacity_shares.size() && !open.empty(); ++r) {
    if (r > 0)
      for (std::size_t k = 0; k < impls.size(); ++k) offered[k] = offered[k] && kept_up(open[(r - 1) * impls.size() + k], spec.keep_up);
    for (unsigned rep = 0; rep < spec.open_repetitions; ++rep)
      for (std::size_t k = 0; k < impls.size(); ++k) {
        const std::size_t i = (k + rep) % impls.size();
        if (!offered[i]) continue;
        auto& p = open[r * impls.size() + i];
        say(fmt::format("{} {} at {:.0f} req/s ({:.0f}% of its capacity), open loop, window {} of {}",
                        to_string(listing), p.impl, p.rate, 100 * p.share, rep + 1, spec.open_repetitions));
        p.windows.push_back(run_open_loop(listing_load(spec, server, p.target, p.rate, spec.open_window, expected)));
        drain(server, spec.drain);
        if (const auto& w = p.windows.back().wrong; !w.empty() && wrong.empty())
          wrong = server.url() + p.target + " under the open loop: " + w;
      }
  }
  std::vector<Series> out;
  for (const auto& p : open) out.push_back(series_of(p, spec));
  return out;
}

}  // namespace certbench::loadgen::detail

namespace certbench::loadgen {
namespace {
// The open loop's histogram bounds (seconds): fixed, so that every run's buckets add up in
// Prometheus.
constexpr std::array kBucketBounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                   0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,   10.0};
}  // namespace

results::Series open_loop_series(const std::vector<OpenLoopResult>& windows, double offered_rate) {
  using results::Metric;
  results::Series s;
  s.family = results::family::http;
  s.mode = "open_loop";
  s.values[Metric::offered_rate] = offered_rate;
  if (windows.empty()) return s;  // not offered
  LogHistogram latency;
  double seconds = 0, good = 0, scheduled = 0, failures = 0;
  for (const auto& w : windows) {
    const double ok = static_cast<double>(w.good());
    s.samples[Metric::throughput].push_back(w.seconds > 0 ? ok / w.seconds : 0);
    latency.merge(w.latency);
    seconds += w.seconds;
    good += ok;
    scheduled += static_cast<double>(w.scheduled);
    failures += static_cast<double>(w.failures());
  }
  detail::add_percentiles(s, windows);
  if (seconds > 0) s.values[Metric::throughput] = good / seconds;
  s.values[Metric::requests] = scheduled;
  s.values[Metric::failures] = failures;
  results::Buckets b;
  for (double bound : kBucketBounds) {
    b.upper_bounds.push_back(bound);
    b.cumulative.push_back(latency.count_at_or_below(bound));
  }
  b.count = static_cast<std::uint64_t>(scheduled);  // those without a good answer (not 2xx too) only here: +Inf
  b.sum = latency.sum();
  s.latency_buckets = std::move(b);
  return s;
}

}  // namespace certbench::loadgen
