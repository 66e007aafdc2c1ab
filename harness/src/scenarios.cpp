// The run: its plan's estimate of time and the collector that measures the plan's scenarios in
// order (scenarios.hpp).
#include "certbench/harness/scenarios.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>

#include <fmt/format.h>

#include "certbench/harness/implementations.hpp"
#include "certbench/harness/plans.hpp"
#include "certbench/results/analysis.hpp"
#include "certbench/results/statistics.hpp"
#include "certbench/sys/shutdown.hpp"

namespace certbench::harness {

using results::Series;

std::array<double, RunPlan::kStages> RunPlan::planned_seconds(const CallSeconds& calls) const {
  auto sec = [](std::chrono::milliseconds d) { return std::chrono::duration<double>(d).count(); };
  auto call = [&calls](Listing l, std::string_view impl) { return calls ? calls(l, impl) : 0.0; };
  std::array<double, kStages> out{};
  auto at = [&out](Stage s) -> double& { return out[static_cast<std::size_t>(s)]; };
  if (listing) {
    at(Stage::listing) = 4 * sec(listing_spec.budget_per_listing);
    at(Stage::plans) = 4;  // one EXPLAIN ANALYZE each
  }
  if (!sweep.empty())  // the listings at each other scale, then deep pages (the largest naive calls take seconds)
    at(Stage::sweep) = static_cast<double>(sweep.size()) * (4 * sec(listing_spec.budget_per_listing) + 10) +
                       4 * sec(listing_spec.budget_per_listing);
  if (loop) {
    // Per (listing, implementation): its pool opened and warmed once (one call a session), then a
    // window per concurrency and repetition, which ends when its calls have: the last of the
    // concurrency's calls queued on the sessions.
    const double sessions = std::max(1u, loop_spec.sessions);
    const double repetitions = std::max(1u, loop_spec.repetitions);
    for (Listing l : kListings)
      for (auto impl : listing_implementations(l)) {
        const double t = call(l, impl);
        at(Stage::loop) += sessions * (0.05 + t);
        for (unsigned c : loop_spec.concurrency)
          at(Stage::loop) += sec(loop_spec.duration_per_point) + repetitions * std::ceil(c / sessions) * t;
      }
  }
  if (compare) {
    double pairs = 0;
    for (Listing l : compare_spec.listings) pairs += static_cast<double>(compared_implementations(l).size());
    // Each pair sized, then each block starts two workers and makes an untimed call per pair on each.
    at(Stage::compare) = pairs * (sec(compare_spec.budget_per_pair) + 0.2 + 0.01 * compare_spec.blocks) +
                         0.1 * compare_spec.blocks + 1;
  }
  if (indexes)  // every set's listings interleaved; per set the builds, the plans and the inserts
    at(Stage::indexes) =
        4 * sec(index_spec.listing.budget_per_listing) + 6 * static_cast<double>(index_spec.copies.size());
  if (caching) at(Stage::caching) = 3 * sec(caching_spec.budget_per_function) + 1;
  if (derived) at(Stage::caching) += sec(caching_spec.budget_per_function);
  if (saves)
    at(Stage::saves) = static_cast<double>(save_spec.functions.size() * save_spec.concurrency.size() *
                                           (save_spec.impls.size() + (save_spec.write_ceiling ? 1 : 0))) *
                       (sec(save_spec.duration_per_point) + 0.05 * save_spec.repetitions);
  if (http && http->seconds) at(Stage::http) = http->seconds(calls);
  return out;
}

double RunPlan::estimated_seconds() const {
  const auto stages = planned_seconds();
  return std::accumulate(stages.begin(), stages.end(), 0.0);
}

std::vector<RunPlan::Dataset> RunPlan::datasets(const fixtures::DatasetSpec& run_dataset,
                                                std::string_view run_schema) const {
  std::vector<Dataset> out;
  for (const auto& point : sweep)
    if (point.schema != run_schema) {
      out.push_back({run_dataset, point.schema});
      out.back().spec.scale = point.scale;
    }
  if (indexes)
    for (const auto& copy : index_spec.copies) {
      out.push_back({run_dataset, copy.schema});
      out.back().spec.indexes = fixtures::IndexSet::none;
    }
  return out;
}

namespace {

// The median seconds of one call of each implementation of each listing, as the listing family
// measured them at the run's scale (0 for one it did not).
CallSeconds call_seconds_of(const std::vector<Series>& series, std::uint64_t scale) {
  std::map<std::pair<std::string, std::string>, double, std::less<>> medians;
  for (const auto& s : series)
    if (s.family == results::family::listing && s.mode.empty() && s.parameter("scale") == static_cast<double>(scale))
      if (const auto* latency = s.samples_of(results::Metric::latency); latency != nullptr && !latency->empty())
        medians[{s.path, s.implementation}] = results::percentile(*latency, 0.5);
  return [medians = std::move(medians)](Listing l, std::string_view impl) {
    const auto it = medians.find(std::pair<std::string, std::string>(to_string(l), impl));
    return it == medians.end() ? 0.0 : it->second;
  };
}

}  // namespace

ScalePoint sweep_point(std::string_view schema, std::uint64_t run_scale, std::uint64_t scale) {
  return {scale, scale == run_scale ? std::string(schema) : std::string(schema) + "_s" + std::to_string(scale)};
}

void make_quick(RunPlan& plan) {
  using std::chrono::milliseconds;
  plan.listing_spec.budget_per_listing = milliseconds(500);
  plan.caching_spec.budget_per_function = milliseconds(400);
  plan.loop_spec.duration_per_point = milliseconds(300);
  plan.loop_spec.concurrency = {8};
  plan.save_spec.duration_per_point = milliseconds(300);
  plan.save_spec.concurrency = {1, 64};  // one save, and the review's concurrency
  plan.compare_spec.budget_per_pair = milliseconds(1000);
  plan.index_spec.listing.budget_per_listing = milliseconds(900);
}

void RunCollector::add(std::vector<Series> series) {
  std::lock_guard lock(mutex_);
  for (auto& s : series) run_.series.push_back(std::move(s));
}

std::string RunCollector::progress() const {
  std::lock_guard lock(mutex_);
  return progress_;
}

void RunCollector::fail(std::string reason) {
  std::lock_guard lock(mutex_);
  if (run_.failure.empty()) run_.failure = std::move(reason);
}

results::Run RunCollector::snapshot() const {
  std::lock_guard lock(mutex_);
  return run_;
}

ExitCode RunCollector::measure(const RunPlan& requested, const std::function<void(const RunProgress&)>& progress,
                               const std::function<void()>& on_stall) {
  using Clock = std::chrono::steady_clock;
  using Stage = RunPlan::Stage;
  std::optional<sys::Watchdog> watchdog;
  if (requested.stall_limit.count() > 0)
    watchdog.emplace(requested.stall_limit, [this, &requested, &on_stall] {
      const std::string where = this->progress();
      fail(fmt::format("nothing moved for {} s{}: the database or Redis stopped answering",
                       requested.stall_limit.count(), where.empty() ? "" : " (" + where + ")"));
      if (on_stall) on_stall();
    });
  auto kick = [&watchdog] {
    if (watchdog) watchdog->kick();
  };
  RunPlan plan = requested;  // every listing call kicks the watchdog: a slow subject's rounds take minutes
  for (auto* spec : {&plan.listing_spec, &plan.index_spec.listing})
    spec->heartbeat = [kick, own = spec->heartbeat] {
      kick();
      if (own) own();
    };
  auto planned = plan.planned_seconds();
  std::size_t stage = 0;
  auto stage_started = Clock::now();
  std::string_view scenario;
  auto begin = [&](Stage s, std::string_view name) {
    stage = static_cast<std::size_t>(s);
    stage_started = Clock::now();
    scenario = name;
  };
  auto tell = [&](std::string_view detail) {
    kick();
    {
      std::lock_guard lock(mutex_);
      progress_ = std::string(scenario) + ": " + std::string(detail);
    }
    if (!progress) return;
    const double spent = std::chrono::duration<double>(Clock::now() - stage_started).count();
    double left = std::max(0.0, planned[stage] - spent);
    for (std::size_t k = stage + 1; k < planned.size(); ++k) left += planned[k];
    progress({scenario, detail, left});
  };
  ExitCode code = ExitCode::ok;
  std::string not_measured;  // variants that failed while the rest of the run went on
  try {
    if (plan.listing) {
      begin(Stage::listing, "listings");
      for (Listing listing : plan.listing_spec.listings) {  // one at a time: a failure keeps the ones before
        auto spec = plan.listing_spec;
        spec.listings = {listing};
        add(to_series(measure_listings(spec, tell), spec.page.size, plan.scale, results::family::listing));
      }
      planned = plan.planned_seconds(call_seconds_of(snapshot().series, plan.scale));
    }
    if (plan.compare) {
      begin(Stage::compare, "base against head");
      auto result = measure_compare(plan.compare_spec, tell);
      auto series = to_series(result, plan.compare_spec.page, plan.scale);
      {
        std::lock_guard lock(mutex_);
        run_.environment.builds = builds_of(result);
      }
      add(std::move(series));
    }
    if (plan.loop) {
      begin(Stage::loop, "listings on one event loop");
      add(to_series(measure_listings_on_loop(plan.loop_spec, tell), plan.loop_spec, plan.scale));
    }
    if (plan.caching || plan.derived) {
      begin(Stage::caching, plan.caching ? "caching" : "derived data");
      auto spec = plan.caching_spec;
      spec.reference = plan.caching;
      spec.derived = plan.derived;
      const auto measured = measure_caching(spec, tell);
      std::string failed;  // measurements to_series leaves out, each with its reason
      for (const auto& m : measured)
        if (!m.failure.empty())
          failed += (failed.empty() ? "" : ", ") + m.path + "/" + m.variant + (m.mode.empty() ? "" : "/" + m.mode) +
                    " (" + m.failure + ")";
      if (!failed.empty()) not_measured = "caching: Redis failed while the redis variants were measured; not kept: " + failed;
      add(to_series(measured, plan.scale));
    }
    if (plan.saves) {
      begin(Stage::saves, "file saves");
      add(to_series(measure_saves(plan.save_spec, tell), plan.save_spec, plan.scale));
    }
    if (plan.http) {
      begin(Stage::http, plan.http->name);
      auto measured = plan.http->measure(tell);
      add(std::move(measured.series));
      if (!measured.wrong.empty()) throw EnvironmentError("a wrong answer: " + measured.wrong);
    }
    if (!plan.sweep.empty()) {
      begin(Stage::sweep, "how cost grows");
      ScalePoint largest{plan.scale, plan.listing_spec.schema};
      for (const auto& point : plan.sweep) {
        if (point.scale > largest.scale) largest = point;
        if (point.scale == plan.scale && plan.listing) continue;  // measured above
        auto spec = plan.listing_spec;
        spec.schema = point.schema;
        add(to_series(measure_listings(spec, tell), spec.page.size, point.scale, results::family::listing));
      }
      scenario = "deep pages";
      auto spec = plan.listing_spec;
      spec.schema = largest.schema;
      add(to_series(measure_page_depth(spec, "limited", plan.depth_pages, tell), spec.page.size, largest.scale,
                    results::family::listing_depth));
    }
    if (plan.indexes) {
      begin(Stage::indexes, "index sets");
      const auto sets = measure_index_sets(plan.index_spec, plan.scale, tell);
      add(to_series(sets, plan.index_spec, plan.scale));
      std::lock_guard lock(mutex_);
      for (const auto& set : sets) {
        run_.plans.insert(run_.plans.end(), set.plans.begin(), set.plans.end());
        const auto uses = index_use_of(set);
        run_.index_use.insert(run_.index_use.end(), uses.begin(), uses.end());
      }
    }
    if (plan.listing) {  // last: a plan that cannot be captured costs no other scenario its figures
      begin(Stage::plans, "query plans");
      auto plans = capture_plans(plan.listing_spec, plan.scale, tell);
      std::lock_guard lock(mutex_);
      run_.plans.insert(run_.plans.begin(), plans.begin(), plans.end());
    }
  } catch (const Error& e) {  // (a watchdog's reason, when it came first, stands)
    std::lock_guard lock(mutex_);
    if (run_.failure.empty()) run_.failure = std::string(scenario) + ": " + first_line(e.what());
    code = e.code();
  } catch (const std::exception& e) {  // not certbench's own: still keep what was measured
    std::lock_guard lock(mutex_);
    if (run_.failure.empty()) run_.failure = std::string(scenario) + ": internal error: " + first_line(e.what());
    code = ExitCode::environment;
  }
  watchdog.reset();  // the analysis waits on nothing outside this process: a run that ended is not failed
  if (progress) progress({"analysing", "deltas and claims", 0});
  std::lock_guard lock(mutex_);
  progress_.clear();
  if (!not_measured.empty()) {  // the run went on; it is still not complete
    run_.failure = run_.failure.empty() ? not_measured : run_.failure + "; " + not_measured;
    if (code == ExitCode::ok) code = ExitCode::environment;
  }
  run_.complete = code == ExitCode::ok;
  results::analyse(run_);
  return code;
}

}  // namespace certbench::harness
