// certbench's command line: parsing (CLI11, only here) and the mapping of errors to exit codes.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <algorithm>
#include <filesystem>
#include <map>
#include <unistd.h>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/core/version.hpp"
#include "certbench/sys/shutdown.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/scenarios.hpp"
#include "certbench/redis/client.hpp"
#include "commands.hpp"

namespace {

using namespace certbench;

const std::map<std::string, std::string> kUsage = {
    {"certbench", "certbench [--help] [--version] <db|seed|run|report|gate|baseline|show|load|load-http|profile|bench|save|saves|serve> [OPTIONS]"},
    {"gate", "certbench gate [--baseline BASE.json] --current RUN.json [--policy POLICY.json] [--out VERDICT.json] [--summary FILE.md]"},
    {"worker", "certbench worker   (internal: run --compare-binary's line protocol on stdin and stdout)"},
    {"baseline", "certbench baseline update RUN.json [--to FILE] [--keep-samples]"},
    {"baseline update", "certbench baseline update RUN.json [--to FILE] [--keep-samples]"},
    {"report", "certbench report RESULTS.json [--out DIR] [--textfile PATH] [--runner NAME] [--pushgateway URL [--require-push]]"},
    {"load", "certbench load public|user|admin|endpoint [--impl naive|review|optimized|pipelined|parallel|cached] [--clients N] [--event-loop [--sessions N]] "
             "[--seconds S] [--page N] [--size M] [--user ID] [--json] [--scale N] [--dsn DSN | --data-dir DIR]"},
    {"load-http", "certbench load-http URL --rate R [--seconds S] [--connections N] [--deadline S] [--json] [--name PATH] "
                  "[--out DIR] [--runner NAME] [--pushgateway URL [--require-push]]"},
    {"profile", "certbench profile public|user|admin|endpoint [--impl I] [--against J] [--seconds N] [--frequency HZ] "
                "[--out DIR] [--keep-perf-data] [--page N] [--size M] [--user ID] [--scale N] [--dsn DSN | --data-dir DIR]"},
    {"bench", "certbench bench [--suite listing|caching|all] [--scales 1k,10k,100k,1M] [--naive-max N] "
              "[--redis URL] [--goals] [--results DIR] [--dsn DSN | --data-dir DIR] "
              "[Google Benchmark flags]"},
    {"db", "certbench db <up|status|down> [--data-dir DIR]"},
    {"db up", "certbench db up [--data-dir DIR]"},
    {"db status", "certbench db status [--data-dir DIR]"},
    {"db down", "certbench db down [--data-dir DIR]"},
    {"seed", "certbench seed --scale N [--seed S] [--indexes none|review|best] [--schema NAME] "
             "[--force] [--json] [--jobs N] [--dsn DSN | --data-dir DIR]"},
    {"run", "certbench run [--quick] [--paths listing,loop,caching,derived,saves,http,compare] [--compare-binary OLD_CERTBENCH] [--out DIR] [--require-claims] "
            "[--full [--scales 1k,10k,100k,1M]] [--textfile PATH] [--runner NAME] [--pushgateway URL [--require-push]] [--listen ADDR [--linger S]] [--profile [--profile-seconds S]] [--scale N] [--seed S] [--indexes none|review|best] [--schema NAME] "
            "[--redis URL] [--loop-concurrency 1,8] [--loop-sessions N] [--loop-seconds S] [--save-seconds S] [--save-dir DIR] "
            "[--keep-files] [--dsn DSN | --data-dir DIR]"},
    {"saves", "certbench saves [--path save_base64_image,save_certificate_file] [--impl naive,aiofiles,thread_pool,io_uring] "
              "[--concurrency 1,2,4,8,16,32,64] [--seconds S] [--image-size 200k] [--file-size 200k] [--no-fsync] "
              "[--repetitions N] [--pool-threads N] [--decode-threads N] [--no-record | --goals] [--save-dir DIR] [--keep-files] [--scale N] "
              "[--schema NAME] [--dsn DSN | --data-dir DIR]"},
    {"save", "certbench save --name NAME (--base64-file F | --file F) --dir DIR [--impl naive|aiofiles|thread_pool|io_uring] "
             "[--max-bytes N] [--fsync] [--json]"},
    {"serve", "certbench serve [--listen HOST:PORT] [--redis URL] [--save-dir DIR | --keep-files] [--max-body N] "
              "[--max-header N] [--max-connections N] [--idle-timeout S] [--threads N] [--scale N] [--schema NAME] "
              "[--dsn DSN | --data-dir DIR]"},
    {"show", "certbench show public|user|admin|endpoint [--impl naive|review|optimized|pipelined|parallel|cached] "
             "[--page N] [--size M] [--after CURSOR] [--user ID] [--json] [--scale N] [--schema NAME] "
             "[--dsn DSN | --data-dir DIR]"},
};

const char* kDatabaseHelp =
    "Database: --dsn DSN, else $DATABASE_URL, else libpq's $PGHOST/$PGPORT/…, else --data-dir DIR "
    "(a persistent embedded cluster, left running), else a throwaway embedded PostgreSQL started "
    "for this command and removed afterwards.";

const char* kDatasetHelp =
    "Dataset: without --scale, the dataset ready in the schema is used as it is (or 100k certificates "
    "are seeded); with --scale, that dataset is seeded or reused.";

const char* kExitCodes =
    "Exit codes: 0 success, 1 regression (or, with run --require-claims, a claim below its range), 2 bad "
    "usage/config/input, 3 environment failure (database unreachable, server died, disk full), 4 gate "
    "inconclusive, 128 + signal when interrupted (130 Ctrl-C, 143 SIGTERM).";

// The subcommands the user named, e.g. "db up", for the usage line of an error.
std::string active_command(const CLI::App& app) {
  std::string path;
  for (const CLI::App* current = &app; !current->get_subcommands().empty();) {
    current = current->get_subcommands().front();
    path += (path.empty() ? "" : " ") + current->get_name();
  }
  return path.empty() ? "certbench" : path;
}

// The options that set each field an error below the command line can name (core/errors.hpp):
// the libraries say what is wrong, the command line says which option to change.
const std::map<std::string, std::string> kOptionOf = {
    {"scale", "--scale"},
    {"impl", "--impl"},
    {"redis", "--redis"},
    {"schema", "--schema NAME"},
    {"foreign_schema", "--force, or --schema NAME"},
    {"data_dir", "--data-dir"},
    {"keyset_review", "--page N, or --impl optimized"},
    {"after", "--after"},
    {"listen", "--listen"},
};

std::string phrase(const Error& e) {
  auto it = kOptionOf.find(e.field());
  return it == kOptionOf.end() ? std::string(e.what()) : std::string(e.what()) + " (" + it->second + ")";
}

int usage_error(const std::string& command, const std::string& message) {
  fmt::print(stderr, "certbench{}: {}\n", command == "certbench" ? "" : " " + command, message);
  auto it = kUsage.find(command);
  fmt::print(stderr, "usage: {}\n", it != kUsage.end() ? it->second : kUsage.at("certbench"));
  return static_cast<int>(ExitCode::usage);
}

void add_target_options(CLI::App& sub, db::TargetOptions& target) {
  auto* dsn = sub.add_option("--dsn", target.dsn, "PostgreSQL connection string (URI or key=value)");
  sub.add_option("--data-dir", target.data_dir,
                 "use the persistent embedded cluster in DIR (started if needed, left running)")
      ->excludes(dsn);
}

void add_dataset_options(CLI::App& sub, std::string& scale, fixtures::DatasetSpec& spec,
                         std::string& indexes, std::string& schema, bool scale_required) {
  auto* s = sub.add_option("--scale", scale,
                           "total certificates across all certificate tables (e.g. 100000, 100k, 1M)");
  if (scale_required) s->required();
  sub.add_option("--seed", spec.seed, "generator seed: same scale + seed = identical rows")
      ->capture_default_str();
  sub.add_option("--indexes", indexes,
                 "secondary indexes: none, review (the review's recommendations), best")
      ->capture_default_str();
  sub.add_option("--schema", schema, "certbench's own schema; nothing outside it is touched")
      ->capture_default_str();
}

fixtures::DatasetSpec finish_spec(fixtures::DatasetSpec spec, const std::string& scale,
                                  const std::string& indexes, const std::string& schema) {
  spec.scale = cli::parse_count(scale.empty() ? "100k" : scale, "--scale");
  auto set = fixtures::parse_index_set(indexes);
  if (!set) throw UsageError("--indexes must be none, review or best (got '" + indexes + "')");
  spec.indexes = *set;
  spec.validate();
  fixtures::check_schema_name(schema);
  return spec;
}

Listing parse_listing(const std::string& name) {
  if (name == "public") return Listing::public_certificates;
  if (name == "user") return Listing::user_certificates;
  if (name == "admin") return Listing::all_certificates_with_users;
  if (name == "endpoint") return Listing::certificates_endpoint;
  throw UsageError("the listing must be public, user, admin or endpoint (got '" + name + "')");
}

// "a,b,c" -> {"a", "b", "c"}; an empty item is bad usage.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (out.back().empty()) throw UsageError("empty item in the list '" + text + "'");
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

// The command line as results.json and the report record it: a password in a connection URL
// (--dsn, --redis) is masked, since the report may end up in a CI job's summary.
std::vector<std::string> recorded_command_line(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.find("://") != std::string::npos && arg.find('@') != std::string::npos) arg = db::mask_password(arg);
    if (arg.find("password=") != std::string::npos) arg = db::mask_password(arg);
    out.push_back(arg);
  }
  return out;
}

// --scales: dataset sizes, sorted, each once.
std::vector<std::uint64_t> parse_scales(const std::string& text) {
  std::vector<std::uint64_t> out;
  for (const auto& item : split_list(text)) {
    const auto scale = cli::parse_count(item, "--scales");
    if (scale < 1 || scale > fixtures::kMaxScale)
      throw UsageError("--scales takes sizes from 1 to " + std::to_string(fixtures::kMaxScale) + " (got " + item + ")");
    out.push_back(scale);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Before any work: an unknown implementation is bad usage.
void check_impl(const std::string& name) {
  const auto names = harness::listing_implementations();
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw UsageError("--impl must be naive, review, optimized, pipelined, parallel or cached (got '" + name + "')");
}

// --scale, --seed, --indexes, --schema, --dsn, --data-dir: the commands that work on a dataset.
class DatasetOptions {
 public:
  void add(CLI::App& sub, cli::DatasetArgs& args) {
    args_ = &args;
    add_dataset_options(sub, scale_, args.spec, indexes_, args.schema, false);
    add_target_options(sub, args.target);
    sub.footer(std::string(kDatasetHelp) + "\n" + kDatabaseHelp);
  }
  void finish() const {
    args_->spec = finish_spec(args_->spec, scale_, indexes_, args_->schema);
    args_->scale_given = !scale_.empty();
  }

 private:
  cli::DatasetArgs* args_ = nullptr;
  std::string scale_, indexes_ = "best";
};

// LISTING, --impl, --page, --size, --user: the commands that work on one listing page.
class PageOptions {
 public:
  CLI::Option* add(CLI::App& sub, cli::PageArgs& args) {
    args_ = &args;
    sub.add_option("listing", listing_, "public, user, admin (all certificates with their owners) or endpoint "
                                        "(public, with spa and template names)")
        ->required();
    sub.add_option("--impl", args.impl, "naive (before the review), review (its fix taken literally), optimized, pipelined (one statement per certificate kind in one libpq pipeline, merged in memory), parallel (the same spread over sessions at once), or cached (optimized; the endpoint takes spa and template names from an in-process cache)")
        ->capture_default_str();
    auto* page = sub.add_option("--page", args.page, "page number, from 1")->capture_default_str();
    sub.add_option("--size", args.size, "rows per page, 1 to 1000")->capture_default_str();
    sub.add_option("--user", args.user, "the user whose certificates the user listing shows");
    return page;
  }
  /// `user_required`: the user listing needs --user (profile takes the busiest owner without it).
  void finish(bool user_required = true) const {
    args_->listing = parse_listing(listing_);
    check_impl(args_->impl);
    const bool user_listing = args_->listing == Listing::user_certificates;
    if (args_->user != cli::kNoUser && !user_listing) throw UsageError("--user applies to the user listing only");
    if (user_listing && args_->user == cli::kNoUser && user_required) throw UsageError("the user listing needs --user ID");
    if (user_listing && args_->user < 0)
      throw UsageError("user ids are not negative (got " + std::to_string(args_->user) + ")");
  }

 private:
  cli::PageArgs* args_ = nullptr;
  std::string listing_;
};


}  // namespace

int main(int argc, char** argv) {
  sys::install_shutdown_handler();

  CLI::App app{"certbench — measures the naive and optimized data paths of a certificate "
               "backend against a seeded PostgreSQL database.",
               "certbench"};
  app.set_version_flag("--version", fmt::format("certbench {}", version()));
  app.require_subcommand(1);
  app.footer(std::string(kDatabaseHelp) + "\n" + kExitCodes);

  // db up|status|down
  cli::DbArgs db_args;
  auto* db = app.add_subcommand("db", "manage the persistent embedded PostgreSQL cluster");
  db->require_subcommand(1);
  auto* up = db->add_subcommand("up", "start (or reuse) it; prints its connection string as the only line on stdout");
  auto* status = db->add_subcommand("status", "say whether it runs (exit 0) or not (exit 3)");
  auto* down = db->add_subcommand("down", "stop it (the data directory stays)");
  for (auto* sub : {up, status, down})
    sub->add_option("--data-dir", db_args.data_dir,
                    "data directory (default: $CERTBENCH_DATA_DIR or /var/tmp/certbench-UID/pgdata)");

  // seed
  cli::SeedArgs seed_args;
  std::string seed_scale, seed_indexes = "best";
  auto* seed = app.add_subcommand("seed", "build the dataset in certbench's schema (reused when it is already there)");
  add_dataset_options(*seed, seed_scale, seed_args.spec, seed_indexes, seed_args.schema, true);
  seed->add_flag("--force", seed_args.force,
                 "drop a schema of that name that certbench did not create");
  seed->add_flag("--json", seed_args.json, "print the result as one JSON object");
  seed->add_option("--jobs", seed_args.jobs, "connections loading tables in parallel (default: one per core, at most 4)")
      ->check(CLI::Range(1, 16));
  add_target_options(*seed, seed_args.target);
  seed->footer(kDatabaseHelp);

  // run
  cli::RunArgs run_args;
  run_args.saves.concurrency = {1, 4, 16, 64};
  run_args.saves.seconds = 1.0;
  DatasetOptions run_dataset;
  auto* run = app.add_subcommand("run", "the main job: seed (or reuse) the dataset and measure every path");
  run_dataset.add(*run, run_args.dataset);
  run->add_option("--redis", run_args.redis,
                  "the Redis of the redis cache variant: redis://[:password@]host[:port][/db] (default: $REDIS_URL, "
                  "else an embedded redis-server on a free loopback port, stopped afterwards)");

  std::string loop_concurrency = "1,8";
  run->add_option("--loop-concurrency", loop_concurrency,
                  "listings on one event loop: concurrent requests, comma-separated (1..1024); a naive call that takes a second makes a high concurrency slow to drain")
      ->capture_default_str();
  run->add_option("--loop-sessions", run_args.loop_sessions,
                  "listings on one event loop: database sessions (the pool the requests share)")
      ->check(CLI::Range(1u, 64u))->capture_default_str();
  run->add_option("--loop-seconds", run_args.loop_seconds,
                  "listings on one event loop: seconds per (listing, implementation) point")
      ->check(CLI::Range(0.05, 600.0))->capture_default_str();
  run->add_option("--save-seconds", run_args.saves.seconds,
                  "file saves: seconds per (implementation, concurrency) point")
      ->check(CLI::Range(0.05, 600.0))->capture_default_str();
  run->add_option("--save-dir", run_args.saves.save_dir,
                  "file saves: where the run's own directory of saved files is made (default: /tmp)");
  run->add_flag("--keep-files", run_args.saves.keep_files, "file saves: keep the saved files (their directory is printed)");
  run->add_flag("--quick", run_args.quick,
                "CI's run, under a minute: 10k certificates unless --scale, shorter budgets, file saves at 1, 8 "
                "and 64 concurrent");
  std::string run_paths;
  run->add_option("--paths", run_paths,
                  "what to measure, comma-separated: listing, loop (listings on one event loop), caching, derived "
                  "(prepare_certificate_data), saves, http (the listing endpoints over HTTP: under wrk at 8 connections, an open loop at 50% and 90% of the capacity, and the public listing beside 64 uploads per save implementation; docs/api.md), compare (with --compare-binary), indexes (the index sets none, "
                  "review and best judged side by side, each on a copy of the dataset, SCHEMA_ix_<set>; docs/indexes.md) (default: all but "
                  "indexes, which --full adds; with --compare-binary: compare)");
  run->add_option("--compare-binary", run_args.compare_binary,
                  "compare this build with an old certbench binary on timing: both builds' workers serve the "
                  "listings' optimized and cached paths in interleaved rounds on the run's dataset (series of "
                  "family compare, mode base/head; certbench gate judges head/base). Only the comparison runs, "
                  "unless --paths names more (docs/gate.md, \"Comparing two builds\")");
  run->add_option("--out", run_args.out,
                  "folder for results.json and benchmarks.json (default: reports/out/<UTC time>/, linked as "
                  "reports/out/latest)");
  std::string run_scales;
  auto* full = run->add_flag("--full", run_args.full,
                             "add how cost grows: the listings on datasets of every --scales (seeded once, each in a "
                             "schema of its own, SCHEMA_s<scale>), with a fitted growth order, and the optimized "
                             "listings' pages 1, 100 and 1000 by offset and by keyset on the largest; the index "
                             "sets judged (--paths indexes); and the API over HTTP under wrk at 1 and 64 connections "
                             "besides 8, and beside 8, 32 and 64 uploads with io_uring saves too");
  run->add_option("--scales", run_scales, "with --full: dataset sizes of the sweep, comma-separated (default "
                                          "1k,10k,100k,1M)")
      ->needs(full);
  run->add_option("--textfile", run_args.textfile,
                  "also write the Prometheus exposition to PATH, atomically, for node_exporter's textfile collector "
                  "(it is always in the output folder as metrics.prom)");
  run->add_option("--runner", run_args.runner,
                  "the runner label of the Prometheus series: which machine ran it (default: the host name)");
  run->add_option("--pushgateway", run_args.pushgateway,
                  "push the series to this Pushgateway at the end (job certbench, grouped by --runner; replaces the "
                  "group; 10 s timeout, one retry); a failed push is a warning, the files are written anyway");
  run->add_flag("--require-push", run_args.require_push, "a failed push exits 3");
  auto* listen = run->add_option("--listen", run_args.listen,
                                 "serve /metrics on ADDR (e.g. 127.0.0.1:9464) while the run measures: the series so "
                                 "far and the scenario under way");
  run->add_option("--linger", run_args.linger, "with --listen: keep serving /metrics this many seconds after the run")
      ->check(CLI::Range(0.0, 86400.0))
      ->needs(listen);
  auto* profile_flag = run->add_flag(
      "--profile", run_args.profile,
      "after measuring, profile the headline listings (public, admin), naive against optimized, under perf "
      "(as certbench profile): profile/ beside the results, linked from the report");
  run->add_option("--profile-seconds", run_args.profile_seconds, "with --profile: sampled seconds per implementation")
      ->check(CLI::Range(0.5, 600.0))
      ->needs(profile_flag);
  run->add_flag("--require-claims", run_args.require_claims,
                "exit 1 when one of the review's claims is judged below its range (off by default: the claims are "
                "the review's, not certbench's)");
  run->footer(std::string(kDatasetHelp) + "\n" + kDatabaseHelp +
              "\nWrites results.json (the run, reports/schema/results.schema.json) and benchmarks.json (Google "
              "Benchmark's format: compare.py compares two runs). If the database or Redis dies, what was measured "
              "is still written, with complete: false, and the exit code is 3.");

  // report
  cli::ReportArgs report_args;
  auto* report = app.add_subcommand("report", "write report.md and its charts (gnuplot, SVG and PNG) from a "
                                              "results.json, without a database");
  report->add_option("results", report_args.results, "a results.json written by certbench run")->required();
  report->add_option("--out", report_args.out, "folder for report.md and charts/ (default: the results file's)");
  report->add_option("--textfile", report_args.textfile,
                     "also write the run as Prometheus text exposition to PATH (atomically, for node_exporter)");
  report->add_option("--runner", report_args.runner, "the runner label of the series (default: the run's host)");
  report->add_option("--pushgateway", report_args.pushgateway,
                     "push the series to this Pushgateway (job certbench, grouped by runner; replaces the group)");
  report->add_flag("--require-push", report_args.require_push, "a failed push exits 3 (default: one warning)");

  // gate
  cli::GateArgs gate_args;
  auto* gate = app.add_subcommand("gate", "judge a run against a baseline: counts that need no clock (tier 1), "
                                          "speed-ups measured within the run (tier 2); exit 0 pass, 1 regression, "
                                          "4 inconclusive");
  gate->add_option("--baseline", gate_args.baseline,
                   "the baseline, a results.json (certbench baseline update); without it, only the run's head/base "
                   "comparison is judged (a run --compare-binary)");
  gate->add_option("--current", gate_args.current, "the run to judge, a results.json (certbench run)")->required();
  gate->add_option("--policy", gate_args.policy,
                   "tolerances, speed-up floors and timing thresholds (default: the built-in "
                   "reports/baselines/policy.json; docs/gate.md)");
  gate->add_option("--out", gate_args.out, "write the verdict as JSON to FILE (docs/gate.md)");
  gate->add_option("--summary", gate_args.summary,
                   "write the verdict as Markdown to FILE (also appended to $GITHUB_STEP_SUMMARY when it is set)");
  gate->footer("Exit codes: 0 pass, 1 a regression, 2 bad input (a corrupt, truncated or other-version file, "
               "baselines of another dataset), 3 the run to judge is incomplete (and shows no regression), 4 "
               "inconclusive (timing only).");

  // baseline update
  cli::BaselineArgs baseline_args;
  auto* baseline = app.add_subcommand("baseline", "manage the gate's baseline");
  baseline->require_subcommand(1);
  auto* baseline_update = baseline->add_subcommand(
      "update", "make a complete run the gate's baseline, on purpose (a gate never writes one)");
  baseline_update->add_option("run", baseline_args.run, "a results.json written by certbench run")->required();
  baseline_update->add_option("--to", baseline_args.to, "where to write it")->capture_default_str();
  baseline_update->add_flag("--keep-samples", baseline_args.keep_samples,
                            "keep the timing samples too (no gate reads them across runs)");
  baseline_update->footer("Refuses an incomplete run (exit 2). No database is needed. Commit the file: CI gates "
                          "against it (docs/gate.md).");
  gate->footer(std::string(gate->get_footer()) + " No database is needed.");

  // saves
  cli::SavesArgs saves_args;
  DatasetOptions saves_dataset;
  std::string saves_impls = "naive,aiofiles,thread_pool,io_uring", saves_concurrency = "1,2,4,8,16,32,64", saves_image = "200k",
              saves_file = "200k", saves_paths = "save_base64_image,save_certificate_file";
  bool saves_no_fsync = false;
  saves_args.load.seconds = 2;
  auto* saves = app.add_subcommand(
      "saves", "the file-save load on one event loop: save_base64_image and save_certificate_file at each "
               "concurrency, every implementation, with throughput, latency and event-loop lag, and the disk's "
               "ceiling (the atomic write alone on as many threads)");
  saves->add_option("--path", saves_paths, "save paths, comma-separated: save_base64_image, save_certificate_file")
      ->capture_default_str();
  saves->add_option("--impl", saves_impls, "implementations, comma-separated: naive, aiofiles (the review's fix), thread_pool, io_uring")
      ->capture_default_str();
  saves->add_option("--concurrency", saves_concurrency, "concurrent requests on the loop, comma-separated (1..1024)")
      ->capture_default_str();
  saves->add_option("--seconds", saves_args.load.seconds, "seconds per (implementation, concurrency) point")
      ->check(CLI::Range(0.05, 600.0))->capture_default_str();
  saves->add_option("--repetitions", saves_args.load.repetitions,
                    "windows each point's seconds are split into, interleaved across the implementations and the "
                    "ceiling: each is one sample of the 95% intervals (more give narrower intervals)")
      ->check(CLI::Range(2u, 100u))->capture_default_str();
  saves->add_option("--image-size", saves_image, "bytes of the PNG save_base64_image saves (base64 in a data URL)")
      ->capture_default_str();
  saves->add_option("--file-size", saves_file, "bytes of the PDF save_certificate_file saves")->capture_default_str();
  saves->add_flag("--no-fsync", saves_no_fsync,
                  "do not fsync before the rename (by default a file is durable before its row points at it)");
  saves->add_option("--pool-threads", saves_args.load.pool_threads,
                    "I/O threads of aiofiles and thread_pool (default: aiofiles' executor, min(32, cores + 4))")
      ->check(CLI::Range(1u, 256u))->capture_default_str();
  saves->add_option("--decode-threads", saves_args.load.decode_threads,
                    "threads that check and decode images off the loop, for thread_pool and io_uring (default: "
                    "the cores)")
      ->check(CLI::Range(1u, 256u))->capture_default_str();
  saves->add_option("--save-dir", saves_args.load.save_dir, "where the run's own directory of saved files is made "
                                                            "(default: /tmp)");
  saves->add_flag("--keep-files", saves_args.load.keep_files, "keep the saved files (their directory is printed)");
  auto* saves_goals = saves->add_flag(
      "--goals", saves_args.goals, "judge the claims table's file-save claim and goals on this run's figures (at 64 concurrent)");
  bool saves_no_record = false;
  saves->add_flag("--no-record", saves_no_record,
                  "measure the save alone: do not record each saved file's path on its certificate row afterwards (a "
                  "request does, as the backend does; PostgreSQL's side of that update runs on this machine's cores, "
                  "which the write-only ceiling does not pay). The goals are judged on the request, so not with --goals")
      ->excludes(saves_goals);
  saves_dataset.add(*saves, saves_args.dataset);

  // show
  cli::ShowArgs show_args;
  DatasetOptions show_dataset;
  PageOptions show_page;
  auto* show = app.add_subcommand("show", "one page of one listing from one implementation, and what it cost");
  auto* page_opt = show_page.add(*show, show_args.page);
  show->add_option("--after", show_args.after, "keyset page: the rows after this cursor (next_cursor of the previous page)")
      ->excludes(page_opt);
  show->add_flag("--json", show_args.json, "print one JSON object: rows, stats, next_cursor");
  show->add_flag("--pgbench-script", show_args.pgbench_script,
                 "print the page's statement as a pgbench script (review, optimized, cached; pipelined: its statements inside "
                 "\\startpipeline … \\endpipeline), to compare with pgbench");
  show_dataset.add(*show, show_args.dataset);

  // load
  cli::LoadArgs load_args;
  DatasetOptions load_dataset;
  PageOptions load_page;
  auto* load = app.add_subcommand("load", "a closed-loop load on one listing page: clients x seconds, like pgbench");
  load_page.add(*load, load_args.page);
  load->add_option("--clients", load_args.clients, "concurrent clients, each with its own session")
      ->check(CLI::Range(1u, 256u))->capture_default_str();
  load->add_option("--seconds", load_args.seconds, "duration of the measured window")
      ->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  load->add_flag("--event-loop", load_args.event_loop,
                 "--clients concurrent requests on one event loop (like the backend's async server), the database "
                 "on a pool of --sessions sessions; reports event-loop lag too");
  load->add_option("--sessions", load_args.sessions, "with --event-loop: database sessions (the driver's pool)")
      ->check(CLI::Range(1u, 64u))->capture_default_str();
  load->add_flag("--json", load_args.json, "print one JSON object");
  load_dataset.add(*load, load_args.dataset);

  // profile
  cli::ProfileArgs profile_args;
  DatasetOptions profile_dataset;
  PageOptions profile_page;
  auto* profile = app.add_subcommand(
      "profile", "one listing path in a loop under Linux perf: flame graphs, folded stacks and top functions of "
                 "certbench's thread and of the PostgreSQL backend serving it, EXPLAIN (ANALYZE, BUFFERS) of its "
                 "statements (docs/profiling.md)");
  profile_page.add(*profile, profile_args.page);
  profile->add_option("--against", profile_args.against,
                      "a second implementation, profiled after the first: the same outputs, and the functions whose "
                      "share of samples grew or shrank the most between the two");
  profile->add_option("--seconds", profile_args.seconds, "seconds of sampled calls per implementation")
      ->check(CLI::Range(0.2, 600.0))->capture_default_str();
  profile->add_option("--frequency", profile_args.frequency, "samples per second (perf -F, software event cpu-clock)")
      ->check(CLI::Range(10u, 20000u))->capture_default_str();
  profile->add_option("--out", profile_args.out,
                      "the folder to write (new or empty; default: reports/out/profile-<UTC time>/)");
  profile->add_flag("--keep-perf-data", profile_args.keep_perf_data, "keep perf's recordings (perf.data, or client.perf.data and "
                                                                     "server.perf.data) for perf report");
  profile_dataset.add(*profile, profile_args.dataset);
  profile->footer(std::string(profile->get_footer()) +
                  "\nNeeds perf (Debian's linux-perf; $CERTBENCH_PERF names another) and the right to attach to the "
                  "PostgreSQL backend: root, or the backend's own user with kernel.perf_event_paranoid <= 2. The user "
                  "listing shows the busiest owner's certificates unless --user.");

  // bench
  cli::BenchArgs bench_args;
  std::string bench_scales = "1k,10k,100k,1M", bench_naive_max = "1M", bench_suite = "all";
  auto* bench = app.add_subcommand("bench", "the benchmarks (Google Benchmark) on datasets it seeds once and keeps");
  bench->add_option("--suite", bench_suite,
                    "listing (the listing paths at every scale), caching (templates, spas and "
                    "prepare_certificate_data, on the largest dataset) or all")
      ->check(CLI::IsMember({"listing", "caching", "all"}))->capture_default_str();
  bench->add_option("--redis", bench_args.redis,
                    "the Redis of the redis cache variant (default: an embedded redis-server, stopped afterwards)");
  bench->add_option("--scales", bench_scales, "dataset sizes, comma-separated")->capture_default_str();
  bench->add_option("--naive-max", bench_naive_max,
                    "skip the naive implementation above this scale (each call loads every row)")
      ->capture_default_str();
  bench->add_flag("--goals", bench_args.goals,
                  "after the run, judge the claims table's goals (results/claims.json) on its figures");
  bench->add_option("--results", bench_args.results,
                    "write each suite's runs as results.json into DIR (listing.results.json, caching.results.json)");
  add_target_options(*bench, bench_args.target);
  bench->allow_extras();
  bench->footer("Other flags go to Google Benchmark, e.g. --benchmark_filter=public "
                "--benchmark_repetitions=9 --benchmark_format=json --benchmark_out=results.json.\n"
                "With both suites (the default), stdout is the console format and --benchmark_out=F.json "
                "writes F.listing.json and F.caching.json; with --goals the verdicts follow on stdout, "
                "or on stderr when stdout is JSON or CSV.\n"
                "Without --dsn the datasets live in the persistent embedded cluster "
                "(/var/tmp/certbench-UID/pgdata or --data-dir), started for the run and stopped after it.");

  // save
  cli::SaveArgs save_args;
  auto* save = app.add_subcommand("save", "save one file as the backend's save_base64_image or save_certificate_file "
                                          "does, on one event loop; prints the saved path");
  save->add_option("--impl", save_args.impl,
                   "naive (decode and write on the event loop), aiofiles (the review's fix: the write on a thread "
                   "pool, the decode on the loop), thread_pool (both off the loop) or io_uring")
      ->capture_default_str();
  save->add_option("--name", save_args.name, "the file name in --dir: one name, no path")->required();
  auto* base64_file = save->add_option("--base64-file", save_args.base64_file,
                                       "a file holding the base64 payload, plain or data:image/<type>;base64,… "
                                       "(save_base64_image; a final line break is ignored)");
  save->add_option("--file", save_args.file, "a file whose bytes are saved as they are, e.g. a certificate PDF "
                                             "(save_certificate_file)")
      ->excludes(base64_file);
  save->add_option("--dir", save_args.dir, "the directory to save into; it must exist")->required();
  save->add_option("--max-bytes", save_args.max_bytes, "the size cap of the saved file, in bytes")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))->capture_default_str();
  save->add_flag("--fsync", save_args.fsync, "fsync the file and its directory: durable when the command returns");
  save->add_flag("--json", save_args.json, "print one JSON object: path, bytes, impl");
  save->footer("Images must be png, jpeg, gif or webp, by their bytes' signature. The file is written to a "
               "hidden temporary file in --dir and renamed into place: readers never see a part of it. "
               "No database is needed.");

  // serve
  cli::ServeArgs serve_args;
  DatasetOptions serve_dataset;
  auto* serve = cli::add_serve(app, serve_args);
  serve_dataset.add(*serve, serve_args.dataset);

  // load-http
  cli::LoadHttpArgs load_http_args;
  auto* load_http = cli::add_load_http(app, load_http_args);

  // worker: internal, for run --compare-binary (harness/worker.hpp); not in the help's list
  auto* worker = app.add_subcommand("worker", "internal: the listing paths behind run --compare-binary's line protocol "
                                              "on stdin and stdout");
  worker->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(active_command(app), e.what());
  }

  const std::string command = active_command(app);
  try {
    if (*worker) return cli::worker();
    if (*up) return cli::db_up(db_args);
    if (*status) return cli::db_status(db_args);
    if (*down) return cli::db_down(db_args);
    if (*seed) {
      seed_args.spec = finish_spec(seed_args.spec, seed_scale, seed_indexes, seed_args.schema);
      return cli::seed(seed_args);
    }
    if (*saves) {
      saves_args.load.impls.clear();
      const auto known = harness::file_save_implementations();
      for (const auto& name : split_list(saves_impls)) {
        if (std::find(known.begin(), known.end(), name) == known.end())
          throw UsageError("--impl takes naive, aiofiles, thread_pool and io_uring (got '" + name + "')");
        saves_args.load.impls.push_back(name);
      }
      saves_args.load.concurrency.clear();
      for (const auto& c : split_list(saves_concurrency)) {
        const auto n = cli::parse_count(c, "--concurrency");
        if (n < 1 || n > 1024) throw UsageError("--concurrency takes numbers from 1 to 1024 (got " + c + ")");
        saves_args.load.concurrency.push_back(static_cast<unsigned>(n));
      }
      saves_args.load.image_bytes = cli::parse_count(saves_image, "--image-size");
      if (saves_args.load.image_bytes < 64 || saves_args.load.image_bytes > (64u << 20))
        throw UsageError("--image-size must be between 64 bytes and 64M (got " + saves_image + ")");
      saves_args.load.file_bytes = cli::parse_count(saves_file, "--file-size");
      if (saves_args.load.file_bytes < 64 || saves_args.load.file_bytes > (64u << 20))
        throw UsageError("--file-size must be between 64 bytes and 64M (got " + saves_file + ")");
      saves_args.load.paths.clear();
      for (const auto& name : split_list(saves_paths)) {
        if (name == to_string(SavePath::base64_image))
          saves_args.load.paths.push_back(SavePath::base64_image);
        else if (name == to_string(SavePath::certificate_file))
          saves_args.load.paths.push_back(SavePath::certificate_file);
        else
          throw UsageError("--path takes save_base64_image and save_certificate_file (got '" + name + "')");
      }
      saves_args.load.fsync = !saves_no_fsync;
      saves_args.load.record = !saves_no_record;
      saves_dataset.finish();
      saves_args.command_line = recorded_command_line(argc, argv);
      return cli::saves(saves_args);
    }
    if (*run) {
      if (!run_args.redis.empty()) redis::Endpoint::parse(run_args.redis);  // bad URL: before any work
      if (!run_paths.empty())
        for (const auto& name : split_list(run_paths)) {
          static const std::vector<std::string> known{"listing", "loop", "caching", "derived",
                                                      "saves",   "http", "compare", "indexes"};
          if (std::find(known.begin(), known.end(), name) == known.end())
            throw UsageError("--paths takes listing, loop, caching, derived, saves, http, compare and indexes (got '" +
                             name + "')");
          run_args.paths.push_back(name);
        }
      if (!run_args.compare_binary.empty()) {
        if (!std::filesystem::is_regular_file(run_args.compare_binary) ||
            ::access(run_args.compare_binary.c_str(), X_OK) != 0)
          throw UsageError("--compare-binary " + run_args.compare_binary + ": not an executable file");
        if (std::find(run_args.paths.begin(), run_args.paths.end(), "compare") == run_args.paths.end())
          run_args.paths.push_back("compare");  // alone, unless --paths named more
      } else if (std::find(run_args.paths.begin(), run_args.paths.end(), "compare") != run_args.paths.end()) {
        throw UsageError("--paths compare needs --compare-binary OLD_CERTBENCH");
      }
      run_dataset.finish();
      if (run_args.full) {
        if (!run_args.paths.empty() &&
            std::find(run_args.paths.begin(), run_args.paths.end(), "listing") == run_args.paths.end())
          throw UsageError("--full measures the listings at every scale: add listing to --paths");
        run_args.scales = parse_scales(run_scales.empty() ? "1k,10k,100k,1M" : run_scales);
      }
      if (run_args.quick && !run_args.dataset.scale_given) {
        run_args.dataset.spec.scale = harness::kQuickScale;
        run_args.dataset.scale_given = true;
      }
      run_args.loop_seconds_given = run->count("--loop-seconds") > 0;
      run_args.loop_concurrency.clear();
      for (const auto& c : split_list(loop_concurrency)) {
        const auto n = cli::parse_count(c, "--loop-concurrency");
        if (n < 1 || n > 1024) throw UsageError("--loop-concurrency takes numbers from 1 to 1024 (got " + c + ")");
        run_args.loop_concurrency.push_back(static_cast<unsigned>(n));
      }
      run_args.save_seconds_given = run->count("--save-seconds") > 0;
      if (!run_args.textfile.empty()) {  // before any work, like --out
        const auto parent = std::filesystem::absolute(run_args.textfile).parent_path();
        if (!std::filesystem::is_directory(parent))
          throw UsageError("--textfile " + run_args.textfile + ": " + parent.string() + " is not a directory");
      }
      run_args.command_line = recorded_command_line(argc, argv);
      return cli::run(run_args);
    }
    if (*bench) {
      bench_args.scales = parse_scales(bench_scales);
      std::sort(bench_args.scales.begin(), bench_args.scales.end());
      bench_args.naive_max = cli::parse_count(bench_naive_max, "--naive-max");
      if (!bench_args.redis.empty()) redis::Endpoint::parse(bench_args.redis);
      bench_args.listing = bench_suite != "caching";
      bench_args.caching = bench_suite != "listing";
      bench_args.benchmark_flags = bench->remaining();
      for (const auto& flag : bench_args.benchmark_flags)
        if (flag.rfind("--benchmark_", 0) != 0)
          throw UsageError("unknown option " + flag + " (Google Benchmark's flags start with --benchmark_)");
      return cli::bench(bench_args);
    }
    if (*report) return cli::report(report_args);
    if (*gate) return cli::gate(gate_args);
    if (*baseline_update) return cli::baseline_update(baseline_args);
    if (*load) {
      load_page.finish();
      load_dataset.finish();
      return cli::load(load_args);
    }
    if (*save) {
      const auto names = harness::file_save_implementations();
      if (std::find(names.begin(), names.end(), save_args.impl) == names.end())
        throw UsageError("--impl must be naive, aiofiles, thread_pool or io_uring (got '" + save_args.impl + "')");
      if (save_args.base64_file.empty() && save_args.file.empty())
        throw UsageError("give the content to save: --base64-file F (an image) or --file F (any bytes)");
      return cli::save(save_args);
    }
    if (*profile) {
      profile_page.finish(false);
      if (!profile_args.against.empty()) check_impl(profile_args.against);
      if (profile_args.against == profile_args.page.impl)
        throw UsageError("--against names the implementation --impl already profiles");
      profile_dataset.finish();
      return cli::profile(profile_args);
    }
    if (*load_http) {
      load_http_args.command_line = recorded_command_line(argc, argv);
      return cli::load_http(load_http_args);
    }
    if (*serve) {
      serve_dataset.finish();
      return cli::serve(serve_args);
    }
    if (*show) {
      show_page.finish();
      show_dataset.finish();
      return cli::show(show_args);
    }
  } catch (const UsageError& e) {
    return usage_error(command, phrase(e));
  } catch (const Error& e) {
    if (!sys::shutdown_requested()) fmt::print(stderr, "certbench: {}\n", phrase(e));
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    if (!sys::shutdown_requested()) fmt::print(stderr, "certbench: internal error: {}\n", e.what());
    return static_cast<int>(ExitCode::environment);
  }
  return usage_error("certbench", "no command given");
}
