// certbench run: the main job. Seeds (or reuses) the dataset, measures the chosen scenarios into
// one results::Run, hands it to the sinks (the terminal, results.json, benchmarks.json) and
// returns the exit code. Thresholds, arithmetic and tables live below: results/ and reports/.
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>
#include <unistd.h>

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
#include "options.hpp"
#include "output_dir.hpp"
#include "progress.hpp"
#include "save_directory.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace fs = std::filesystem;

namespace {

bool wants(const RunArgs& args, std::string_view scenario) {
  return args.only.empty() || std::find(args.only.begin(), args.only.end(), scenario) != args.only.end();
}

// The index scenario: named in --only, or part of --full when --only names nothing.
bool wants_indexes(const RunArgs& args) {
  const bool named = std::find(args.only.begin(), args.only.end(), "indexes") != args.only.end();
  return named || (args.full && args.only.empty());
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
  const auto& runner = args.push.runner_of(run);
  write_results(run, dir, runner);
  sys::write_file_atomic(dir / "benchmarks.json", reports::to_benchmark_json(run));
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
  plan.index_spec = harness::IndexRunSpec::of_run(plan.listing_spec, args.dataset.schema);
  if (wants(args, "http")) {
    loadgen::HttpRunSpec http;
    http.dsn = dsn;
    http.schema = args.dataset.schema;
    http.scale = dataset.spec.scale;
    http.save = plan.save_spec.options;  // serve's saves as the saves family's (fsync, pools)
    if (args.full) loadgen::make_full(http);
    if (args.quick) loadgen::make_quick(http);
    plan.http = loadgen::http_scenario(http);
  }
  if (args.full && wants(args, "listing"))  // how cost grows: the dataset at other scales
    for (auto scale : args.scales) plan.sweep.push_back(harness::sweep_point(args.dataset.schema, plan.scale, scale));
  if (args.quick) {
    harness::make_quick(plan);
    // What the user named outranks --quick's budgets.
    if (args.named.contains("--loop-seconds")) plan.loop_spec.duration_per_point = ms(args.loop_seconds);
    if (args.named.contains("--loop-concurrency")) plan.loop_spec.concurrency = args.loop_concurrency;
    if (args.named.contains("--save-seconds")) plan.save_spec.duration_per_point = ms(args.saves.seconds);
  }
  return plan;
}

// The headline listings profiled naive against limited (certbench profile's outputs), each into
// profile/<listing>/ beside the results, written in a temporary folder and renamed when whole.
void profile_headlines(const RunArgs& args, const ReadyDataset& dataset, const std::string& perf, const fs::path& out) {
  for (auto spec : harness::headline_profiles(dataset.target.dsn(), args.dataset.schema, args.profile_seconds)) {
    const auto listing = spec.listing;
    const fs::path dir = out / "profile" / std::string(to_string(listing));
    const fs::path work = out / "profile" / (".tmp-" + std::string(to_string(listing)));
    sys::ScopedCleanup remove_work([&work] {
      std::error_code ec;
      fs::remove_all(work, ec);
    });
    fs::create_directories(work);
    spec.perf = perf;
    spec.work_dir = work;
    std::vector<harness::ProfileSide> sides;
    {
      StatusLine line;
      sides = harness::run_profile(spec, [&](std::string_view what, double left) {
        line.show(left > 0 ? fmt::format("profile {}: {} · {:.0f} s left", to_string(listing), what, left)
                           : fmt::format("profile {}: {}", to_string(listing), what));
      });
    }
    write_profile(sides, listing, spec.frequency, work);
    std::error_code ec;
    fs::rename(work, dir, ec);
    if (ec) throw EnvironmentError("cannot move the profile into " + dir.string() + ": " + ec.message());
    note(fmt::format("profile of {} (naive against limited) in {}", to_string(listing), dir.string()));
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
  if (save_dir && args.saves.keep_files) note("saved files kept in " + save_dir->path().string());

  auto plan = plan_of(args, dataset, save_dir ? save_dir->path() : fs::path());
  // The sweep's other scales and the index sets' copies, each in a schema of its own: never the run's dataset.
  for (const auto& other : plan.datasets(dataset.spec, args.dataset.schema))
    ensure_scale(dataset.target.dsn(), other.spec, other.schema);
  if (redis) plan.caching_spec.redis = redis->endpoint();
  harness::RunCollector collector(
      describe_run(dataset, redis ? std::optional(redis->endpoint()) : std::nullopt, args.command_line));
  const auto runner = args.push.runner_of(collector.snapshot());
  std::optional<reports::MetricsServer> endpoint;  // /metrics while measuring (and lingering)
  if (!args.listen.empty()) {
    endpoint.emplace(args.listen, runner, [&collector] { return collector.snapshot(); },
                     [&collector] { return collector.progress(); });
    note(fmt::format("serving /metrics on port {}", endpoint->port()));
  }

  ExitCode code;
  {
    // A shutdown signal ends the process from another thread: write what was measured first. Only
    // while measuring (unregistered when this block ends, however it ends).
    struct Unregister {
      int handle;
      ~Unregister() { sys::unregister_cleanup(handle); }
    } on_signal{sys::register_cleanup([&collector, &out, &args] {
      auto partial = collector.snapshot();
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
    plan.stall_limit = std::chrono::seconds(args.stall_seconds);
    code = collector.measure(plan, std::ref(progress), [&collector] {  // what was measured is written by the cleanup above
      const auto partial = collector.snapshot();
      sys::shut_down(static_cast<int>(ExitCode::environment),
                     fmt::format("{}certbench: {} — results.json has the {} series measured (complete: false)",
                                 ::isatty(STDERR_FILENO) ? "\r\033[K" : "", partial.failure, partial.series.size()));
    });
    progress.clear();
  }

  auto run = collector.snapshot();
  run.environment.ended_utc = harness::utc_now();
  reports::PrintOptions printed;
  printed.tables = args.tables;
  reports::print_run(run, stdout, printed);
  if (!args.tables)
    std::printf("\nthe full tables, with allocations, pools, where the time goes and the plans: report.md\n"
                "(--tables prints the terminal's full tables here)\n");
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
  const int pushed = push_to_gateway(run, args.push);
  if (endpoint && args.linger > 0) {
    note(fmt::format("serving /metrics on port {} for {:.0f} s more", endpoint->port(), args.linger));
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(args.linger * 1000)));
  }
  note(fmt::format("results in {} (results.json, benchmarks.json, metrics.prom, report.md and charts/)", out.string()));
  if (code != ExitCode::ok) {
    note(run.failure + fmt::format(" — results.json has the {} series measured (complete: false)",
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

namespace {

// What --only can name: the run's scenarios.
constexpr std::array<std::string_view, 8> kRunScenarios{"listing", "loop",    "caching", "derived",
                                                     "saves",   "http", "compare", "indexes"};

// run's options as given, before they are checked.
struct RunOptions {
  RunArgs args;
  DatasetOptions dataset;
  std::string loop_concurrency = "8", only, scales;
  CLI::App* sub = nullptr;

  void finish(const CommandLine& line) {
    if (!args.redis.empty()) redis::Endpoint::parse(args.redis);  // bad URL: before any work
    if (!only.empty())
      for (const auto& name : split_list(only)) {
        if (std::find(kRunScenarios.begin(), kRunScenarios.end(), name) == kRunScenarios.end())
          throw UsageError("--only takes " + one_of(kRunScenarios, "and") + " (got '" + name + "')");
        args.only.push_back(name);
      }
    if (!args.compare_binary.empty()) {
      if (!fs::is_regular_file(args.compare_binary) || ::access(args.compare_binary.c_str(), X_OK) != 0)
        throw UsageError("--compare-binary " + args.compare_binary + ": not an executable file");
      if (std::find(args.only.begin(), args.only.end(), "compare") == args.only.end())
        args.only.push_back("compare");  // alone, unless --only named more
    } else if (std::find(args.only.begin(), args.only.end(), "compare") != args.only.end()) {
      throw UsageError("--only compare needs --compare-binary OLD_CERTBENCH");
    }
    dataset.finish();
    if (args.full) {
      if (!wants(args, "listing") && !wants(args, "http") && !wants_indexes(args))
        throw UsageError("--full adds to listing (every scale), http (every endpoint) and indexes: --only names none "
                         "of them");
      args.scales = parse_scales(scales.empty() ? "1k,10k,100k,1M" : scales);
    }
    if (args.quick && !args.dataset.scale_given) {
      args.dataset.spec.scale = harness::kQuickScale;
      args.dataset.scale_given = true;
    }
    args.loop_concurrency = parse_counts(loop_concurrency, "--loop-concurrency", 1024);
    for (const CLI::Option* option : sub->get_options())
      if (option->count() > 0) args.named.insert(option->get_name());
    if (!args.textfile.empty()) {  // before any work, like --out
      const auto parent = fs::absolute(args.textfile).parent_path();
      if (!fs::is_directory(parent))
        throw UsageError("--textfile " + args.textfile + ": " + parent.string() + " is not a directory");
    }
    args.command_line = line;
  }
};

}  // namespace

Command add_run(CLI::App& app, const CommandLine& line) {
  auto o = std::make_shared<RunOptions>();
  RunArgs& a = o->args;
  a.saves.concurrency = {1, 8, 64};
  a.saves.seconds = 1.0;
  auto* run_ = o->sub = app.add_subcommand("run", "the main job: seed (or reuse) the dataset and measure every path");
  run_->add_flag("--quick", a.quick,
                 "CI's run, under a minute of measuring: 10k certificates unless --scale, shorter budgets, file saves "
                 "at 1 and 64, the public listing of naive and review over HTTP, without uploads");
  run_->add_option("--only", o->only,
                   "what to measure, comma-separated: listing, loop (listings on one event loop), caching, derived "
                   "(prepare_certificate_data), saves, http (the public listing endpoint over HTTP, --full: all four: under wrk at 8 "
                   "connections, an open loop at 50% and 90% of the capacity, and the public listing beside 64 "
                   "uploads per save implementation; docs/api-load.md), compare (with --compare-binary), indexes (the "
                   "index sets none, review and best judged side by side, each on a copy of the dataset, "
                   "SCHEMA_ix_<set>; docs/indexes.md) (default: all but indexes, which --full adds; with "
                   "--compare-binary: compare)")
      ->type_name("LIST");
  run_->add_option("--compare-binary", a.compare_binary,
                   "compare this build with an old certbench binary on timing: both builds' workers serve the "
                   "listings' limited and cached paths in interleaved rounds on the run's dataset (series of "
                   "family compare, mode base/head; certbench gate judges head/base). Only the comparison runs, "
                   "unless --only names more (docs/gate.md, \"Comparing two builds\")")
      ->type_name("OLD_CERTBENCH");
  run_->add_option("--out", a.out,
                   "folder for results.json and benchmarks.json (default: reports/out/<UTC time>/, linked as "
                   "reports/out/latest)")
      ->type_name("DIR");
  run_->add_flag("--tables", a.tables,
                 "print every table in the terminal (default: a summary, the implementations side by side; every "
                 "table is in report.md)");
  run_->add_flag("--require-claims", a.require_claims,
                 "exit 1 when one of the review's claims is judged below its range (off by default: the claims are "
                 "the review's, not certbench's)");
  auto* full = run_->add_flag("--full", a.full,
                              "add how cost grows: the listings on datasets of every --scales (seeded once, each in a "
                              "schema of its own, SCHEMA_s<scale>), with a fitted growth order, and the limited "
                              "listings' pages 1, 100 and 1000 by offset and by keyset on the largest; the index "
                              "sets judged (--only indexes); and over HTTP every listing endpoint, under wrk at 1 and 64 "
                              "connections besides 8, and beside 8, 32 and 64 uploads with io_uring saves too");
  run_->add_option("--scales", o->scales, "with --full: dataset sizes of the sweep, comma-separated (default "
                                          "1k,10k,100k,1M)")
      ->type_name("LIST")
      ->needs(full);
  run_->add_option("--textfile", a.textfile,
                   "also write the Prometheus exposition to PATH, atomically, for node_exporter's textfile collector "
                   "(it is always in the output folder as metrics.prom)")
      ->type_name("PATH");
  add_push_options(*run_, a.push, "the run's series");
  auto* listen = run_->add_option("--listen", a.listen,
                                  "serve /metrics on ADDR (e.g. 127.0.0.1:9464) while the run measures: the series so "
                                  "far and the scenario under way")
                     ->type_name("ADDR");
  run_->add_option("--linger", a.linger, "with --listen: keep serving /metrics this many seconds after the run")
      ->type_name("S")
      ->check(CLI::Range(0.0, 86400.0))
      ->needs(listen);
  auto* profile_flag = run_->add_flag(
      "--profile", a.profile,
      "after measuring, profile the headline listings (public, admin), naive against limited, under perf "
      "(as certbench profile): profile/ beside the results, linked from the report");
  run_->add_option("--profile-seconds", a.profile_seconds, "with --profile: sampled seconds per implementation")
      ->type_name("S")
      ->check(CLI::Range(0.5, 600.0))
      ->needs(profile_flag);
  run_->add_option("--stall-seconds", a.stall_seconds,
                   "give up when the measuring moves on to no new point for S seconds (a database or Redis that "
                   "stopped answering): what was measured is written, exit 3")
      ->type_name("S")
      ->capture_default_str()
      ->check(CLI::Range(1u, 86400u));
  run_->add_option("--redis", a.redis,
                   "the Redis of the redis cache variant: redis://[:password@]host[:port][/db] (default: $REDIS_URL, "
                   "else an embedded redis-server on a free loopback port, stopped afterwards)")
      ->type_name("URL");
  run_->add_option("--loop-concurrency", o->loop_concurrency,
                   "listings on one event loop: concurrent requests, comma-separated (1..1024); a naive call that "
                   "takes a second makes a high concurrency slow to drain")
      ->type_name("LIST")
      ->capture_default_str();
  run_->add_option("--loop-sessions", a.loop_sessions,
                   "listings on one event loop: database sessions (the pool the requests share; every "
                   "implementation's pool of a listing stays open through its windows: up to 11 connections a "
                   "session, within the embedded cluster's 400 at 32)")
      ->type_name("N")
      ->check(CLI::Range(1u, 32u))
      ->capture_default_str();
  run_->add_option("--loop-seconds", a.loop_seconds, "listings on one event loop: seconds per (listing, implementation) point")
      ->type_name("S")
      ->check(CLI::Range(0.05, 600.0))
      ->capture_default_str();
  run_->add_option("--save-seconds", a.saves.seconds, "file saves: seconds per (implementation, concurrency) point")
      ->type_name("S")
      ->check(CLI::Range(0.05, 600.0))
      ->capture_default_str();
  add_save_dir_options(*run_, a.saves);
  o->dataset.add(*run_, a.dataset);
  run_->footer(std::string(run_->get_footer()) +
               "\nWrites results.json (the run, reports/schema/results.schema.json) and benchmarks.json (Google "
               "Benchmark's format: compare.py compares two runs). If the database or Redis dies, what was measured "
               "is still written, with complete: false, and the exit code is 3.");
  return {run_, [o, &line] {
            o->finish(line);
            return run(o->args);
          }};
}

}  // namespace certbench::cli
