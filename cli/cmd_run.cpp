// certbench run: the main job. Seeds (or reuses) the dataset, measures the chosen scenarios into
// one results::Run, hands it to the sinks (the terminal, results.json, benchmarks.json) and
// returns the exit code. Thresholds, arithmetic and tables live below: results/ and reports/.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/harness/environment.hpp"
#include "certbench/harness/profile_run.hpp"
#include "certbench/harness/scenarios.hpp"
#include "certbench/loadgen/http_run.hpp"
#include "certbench/loadgen/wrk.hpp"
#include "certbench/redis/redis_target.hpp"
#include "certbench/reports/gbench.hpp"
#include "certbench/reports/markdown.hpp"
#include "certbench/reports/prometheus.hpp"
#include "certbench/reports/terminal.hpp"
#include "certbench/results/analysis.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/shutdown.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "save_directory.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace fs = std::filesystem;

namespace {

bool wants(const RunArgs& args, std::string_view family) {
  return args.paths.empty() || std::find(args.paths.begin(), args.paths.end(), family) != args.paths.end();
}

// The index scenario: named in --paths, or part of --full when --paths names nothing.
bool wants_indexes(const RunArgs& args) {
  const bool named = std::find(args.paths.begin(), args.paths.end(), "indexes") != args.paths.end();
  return named || (args.full && args.paths.empty());
}

// The output folder, made before any measurement so that a bad --out fails at once. The default
// is new for every run (a second run within the same second gets "-2", …).
fs::path make_out_dir(const std::string& out) {
  fs::path dir = out.empty() ? fs::path("reports/out") / harness::utc_now() : fs::path(out);
  std::error_code ec;
  if (out.empty())
    for (int n = 2; fs::exists(dir, ec); ++n) dir = fs::path("reports/out") / (harness::utc_now() + "-" + std::to_string(n));
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw InputError("--out " + dir.string() + ": cannot make the folder (" + ec.message() + ")");
  return fs::absolute(dir);
}

// reports/out/latest -> the newest run's folder (default --out only).
void link_latest(const fs::path& dir) {
  const fs::path link = dir.parent_path() / "latest";
  std::error_code ec;
  if (fs::is_symlink(link, ec) || !fs::exists(link, ec)) {
    fs::remove(link, ec);
    fs::create_directory_symlink(dir.filename(), link, ec);
  }
}

// The results first (nothing measured is lost if a later sink fails), then what reads them.
void write_outputs(const results::Run& run, const fs::path& dir, const RunArgs& args) {
  sys::write_file_atomic(dir / "results.json", results::to_json(run));
  sys::write_file_atomic(dir / "benchmarks.json", reports::to_benchmark_json(run));
  const auto runner = args.runner.empty() ? run.environment.host : args.runner;
  reports::write_textfile(run, runner, dir / "metrics.prom");
  if (!args.textfile.empty()) reports::write_textfile(run, runner, args.textfile);
}

harness::RunPlan plan_of(const RunArgs& args, const ReadyDataset& dataset, const fs::path& save_dir) {
  using std::chrono::milliseconds;
  auto ms = [](double seconds) { return milliseconds(static_cast<long>(seconds * 1000)); };
  harness::RunPlan plan;
  plan.scale = dataset.spec.scale;
  plan.listing = wants(args, "listing");
  plan.loop = wants(args, "loop");
  plan.caching = wants(args, "caching");
  plan.derived = wants(args, "derived");
  plan.saves = wants(args, "saves");
  plan.compare = !args.compare_binary.empty();
  plan.indexes = wants_indexes(args);
  const auto dsn = dataset.target.dsn();
  plan.listing_spec.dsn = plan.loop_spec.dsn = plan.caching_spec.dsn = dsn;
  plan.listing_spec.schema = plan.loop_spec.schema = plan.caching_spec.schema = args.dataset.schema;
  plan.loop_spec.concurrency = args.loop_concurrency;
  plan.loop_spec.sessions = args.loop_sessions;
  plan.loop_spec.duration_per_point = ms(args.loop_seconds);
  if (plan.saves) plan.save_spec = save_spec(dataset, args.dataset.schema, args.saves, save_dir);
  plan.compare_spec.dsn = dsn;
  plan.compare_spec.schema = args.dataset.schema;
  plan.compare_spec.base_binary = args.compare_binary;
  plan.index_spec.listing = plan.listing_spec;
  plan.index_spec.listing.budget_per_listing = milliseconds(3000);  // every set's implementations interleaved
  for (auto set : {fixtures::IndexSet::none, fixtures::IndexSet::review, fixtures::IndexSet::best})
    plan.index_spec.copies.push_back({set, harness::index_copy_schema(args.dataset.schema, set)});
  if (wants(args, "http")) {
    loadgen::HttpRunSpec http;
    http.dsn = dsn;
    http.schema = args.dataset.schema;
    http.scale = dataset.spec.scale;
    if (args.full) loadgen::make_full(http);
    if (args.quick) loadgen::make_quick(http);
    plan.http = harness::OuterScenario{"the API over HTTP", http.estimated_seconds(), [http](const auto& tell) {
                                         auto r = loadgen::measure_http(http, tell);
                                         return harness::OuterScenario::Result{std::move(r.series), std::move(r.wrong)};
                                       }};
  }
  if (args.quick) {
    harness::make_quick(plan);
    if (args.loop_seconds_given) plan.loop_spec.duration_per_point = ms(args.loop_seconds);  // the user's stays
    if (args.save_seconds_given) plan.save_spec.duration_per_point = ms(args.saves.seconds);
  }
  return plan;
}

// The headline listings profiled naive against optimized (certbench profile's outputs), each into
// profile/<listing>/ beside the results, written in a temporary folder and renamed when whole.
void profile_headlines(const RunArgs& args, const ReadyDataset& dataset, const std::string& perf, const fs::path& out) {
  const unsigned frequency = 997;
  for (Listing listing : {Listing::public_certificates, Listing::all_certificates_with_users}) {
    const fs::path dir = out / "profile" / std::string(to_string(listing));
    const fs::path work = out / "profile" / (".tmp-" + std::string(to_string(listing)));
    sys::ScopedCleanup remove_work([&work] {
      std::error_code ec;
      fs::remove_all(work, ec);
    });
    fs::create_directories(work);
    harness::ProfileSpec spec;
    spec.perf = perf;
    spec.dsn = dataset.target.dsn();
    spec.schema = args.dataset.schema;
    spec.listing = listing;
    spec.impls = {"naive", "optimized"};
    spec.duration = std::chrono::milliseconds(static_cast<std::int64_t>(args.profile_seconds * 1000));
    spec.reference = spec.duration;
    spec.frequency = frequency;
    spec.work_dir = work;
    std::vector<harness::ProfileSide> sides;
    {
      StatusLine line;
      sides = harness::run_profile(spec, [&](std::string_view what, double left) {
        line.show(left > 0 ? fmt::format("profile {}: {} · {:.0f} s left", to_string(listing), what, left)
                           : fmt::format("profile {}: {}", to_string(listing), what));
      });
    }
    write_profile(sides, listing, frequency, work);
    std::error_code ec;
    fs::rename(work, dir, ec);
    if (ec) throw EnvironmentError("cannot move the profile into " + dir.string() + ": " + ec.message());
    note(fmt::format("profile of {} (naive against optimized) in {}", to_string(listing), dir.string()));
  }
}

}  // namespace

int run(const RunArgs& args) {
  // An old build without a compatible worker is refused before any folder, seeding or measuring.
  if (!args.compare_binary.empty())
    note("comparing with " + args.compare_binary + " (" + harness::WorkerClient(args.compare_binary).build().version + ")");
  const std::string perf = args.profile ? harness::find_perf() : "";  // no perf: exit 3 before measuring
  if (wants(args, "http")) loadgen::find_wrk();  // no wrk: exit 3 before measuring
  const auto dataset = ensure_dataset(args.dataset);
  // Nor may perf sample this server's backends (perf_event_paranoid, another host): exit 3, nothing made.
  if (args.profile) harness::check_profile_access(dataset.target.dsn());
  const fs::path out = make_out_dir(args.out);
  const bool caching = wants(args, "caching");
  std::optional<redis::RedisTarget> redis;
  if (caching) redis.emplace(redis::RedisTarget::resolve(args.redis, note));
  std::optional<SaveDirectory> save_dir;
  if (wants(args, "saves")) save_dir.emplace(args.saves.save_dir, args.saves.keep_files);

  auto plan = plan_of(args, dataset, save_dir ? save_dir->path() : fs::path());
  if (args.full)  // how cost grows: the same dataset at other scales, each in a schema of its own
    for (auto scale : args.scales) {
      auto spec = dataset.spec;
      spec.scale = scale;
      const auto schema = scale == dataset.spec.scale ? args.dataset.schema
                                                      : args.dataset.schema + "_s" + std::to_string(scale);
      ensure_scale(dataset.target.dsn(), spec, schema);
      plan.sweep.push_back({scale, schema});
    }
  if (plan.indexes) {  // the index sets are built and dropped on copies, never on the run's dataset
    auto spec = dataset.spec;
    spec.indexes = fixtures::IndexSet::none;  // the scenario builds each set itself, timed
    for (const auto& copy : plan.index_spec.copies) ensure_scale(dataset.target.dsn(), spec, copy.schema);
  }
  if (redis) plan.caching_spec.redis = redis->endpoint();
  harness::RunRecorder recorder(
      describe_run(dataset, redis ? std::optional(redis->endpoint()) : std::nullopt, args.command_line));
  const auto runner = args.runner.empty() ? recorder.snapshot().environment.host : args.runner;
  std::optional<reports::MetricsServer> endpoint;  // /metrics while measuring (and lingering)
  if (!args.listen.empty()) {
    endpoint.emplace(args.listen, runner, [&recorder] { return recorder.snapshot(); },
                     [&recorder] { return recorder.progress(); });
    note(fmt::format("serving /metrics on port {}", endpoint->port()));
  }

  ExitCode code;
  {
    // A shutdown signal ends the process from another thread: write what was measured first. Only
    // while measuring (unregistered when this block ends, however it ends).
    struct Unregister {
      int handle;
      ~Unregister() { sys::unregister_cleanup(handle); }
    } on_signal{sys::register_cleanup([&recorder, &out, &args] {
      auto partial = recorder.snapshot();
      if (partial.complete) return;
      if (partial.failure.empty()) partial.failure = "interrupted by a signal";
      partial.environment.ended_utc = harness::utc_now();
      results::analyse(partial);
      try {
        write_outputs(partial, out, args);
        reports::write_report(partial, out);
      } catch (...) {  // the process is ending; nothing more to say
      }
    })};
    ProgressLine progress;
    code = recorder.measure(plan, std::ref(progress));
    progress.clear();
  }

  auto run = recorder.snapshot();
  run.environment.ended_utc = harness::utc_now();
  reports::print_run(run);
  try {
    write_outputs(run, out, args);
  } catch (const Error& e) {
    note(std::string("could not write the results: ") + e.what());
    return static_cast<int>(ExitCode::environment);
  }
  try {
    const auto t0 = std::chrono::steady_clock::now();
    reports::write_report(run, out);
    note(fmt::format("report written in {:.2f} s", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
  } catch (const Error& e) {
    note(fmt::format("results.json is in {}, but the report could not be written: {}", out.string(), e.what()));
    return static_cast<int>(ExitCode::environment);
  }
  bool profiled = true;  // a profile that fails leaves the run's own outputs whole, and exits 3
  if (args.profile && code == ExitCode::ok) {
    try {
      profile_headlines(args, dataset, perf, out);
    } catch (const std::exception& e) {
      note(std::string("the profiles could not be made: ") + e.what());
      profiled = false;
    }
    try {
      reports::write_report(run, out);  // again, now linking the profiles (written whole, or not at all)
    } catch (const Error& e) {
      note(fmt::format("the report could not be written again with the profiles: {}", e.what()));
      return static_cast<int>(ExitCode::environment);
    }
  }
  if (args.out.empty()) link_latest(out);
  const int pushed = push_to_gateway(run, args.pushgateway, runner, args.require_push);
  if (endpoint && args.linger > 0) {
    note(fmt::format("serving /metrics on port {} for {:.0f} s more", endpoint->port(), args.linger));
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(args.linger * 1000)));
  }
  note(fmt::format("results in {} (results.json, benchmarks.json, metrics.prom, report.md and charts/)", out.string()));
  if (code != ExitCode::ok) {
    note(run.failure + fmt::format(" — results.json has the {} series measured before (complete: false)",
                                   run.series.size()));
    return static_cast<int>(code);
  }
  if (!profiled) return static_cast<int>(ExitCode::environment);
  if (args.require_claims)
    for (const auto& v : run.verdicts)
      if (v.kind == "claim" && v.outcome == results::Outcome::below) {
        note(fmt::format("a claim is below what the review expected: {} ({})", v.text, v.subject));
        return static_cast<int>(ExitCode::regression);
      }
  return pushed;
}

}  // namespace certbench::cli
