#pragma once
// The subcommands: each one's add_*() declares it and its options on the parser (CLI11, in its
// cmd_*.cpp), and its function below does the work on the parsed, checked arguments.
#include <climits>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "certbench/core/file_saves.hpp"
#include "certbench/core/listing.hpp"
#include "certbench/db/database_target.hpp"
#include "certbench/fixtures/dataset.hpp"
#include "certbench/harness/profile_run.hpp"
#include "certbench/harness/save_run.hpp"
#include "certbench/results/run.hpp"
#include "dataset.hpp"

namespace CLI {
class App;
}

namespace certbench::cli {

/// A command as main() runs it: declared on the parser by its add_*(); once parsed, `run` checks
/// what the options could not check alone (throwing UsageError), does the work and returns the
/// exit code.
struct Command {
  CLI::App* sub = nullptr;
  std::function<int()> run;
};

/// The command line as results.json records it (passwords masked), for the commands that record it.
using CommandLine = std::vector<std::string>;

Command add_db(CLI::App& app);
Command add_seed(CLI::App& app);
Command add_run(CLI::App& app, const CommandLine& line);
Command add_report(CLI::App& app);
Command add_gate(CLI::App& app);
Command add_baseline(CLI::App& app);
Command add_show(CLI::App& app);
Command add_load(CLI::App& app);
Command add_profile(CLI::App& app);
Command add_bench(CLI::App& app);
Command add_saves(CLI::App& app, const CommandLine& line);
Command add_save(CLI::App& app);
Command add_serve(CLI::App& app);
Command add_load_http(CLI::App& app, const CommandLine& line);
Command add_worker(CLI::App& app);

/// Where the commands that make series send them besides their files (run, report, load-http).
struct PushArgs {
  std::string runner;       ///< --runner NAME: the series' runner label ("" = the run's host)
  std::string pushgateway;  ///< --pushgateway URL: push the series there at the end
  bool require_push = false;  ///< a failed push exits 3 (otherwise one warning)

  const std::string& runner_of(const results::Run& run) const {
    return runner.empty() ? run.environment.host : runner;
  }
};

struct DbArgs {
  std::string data_dir;  ///< "" = EmbeddedPostgres::default_data_dir()
};
int db_up(const DbArgs& args);
int db_status(const DbArgs& args);
int db_down(const DbArgs& args);

struct SeedArgs {
  DatasetArgs dataset;  ///< the scale is always given
  bool force = false;
  bool json = false;
  unsigned jobs = 0;
};
int seed(const SeedArgs& args);

/// The file-save load (run and saves).
struct SaveLoadArgs {
  std::vector<std::string> impls = harness::file_save_implementation_names();
  std::vector<unsigned> concurrency{1, 2, 4, 8, 16, 32, 64};
  double seconds = 0.5;               ///< per (implementation, concurrency) point
  unsigned repetitions = 3;           ///< interleaved windows the seconds are split into: the samples of each interval
  std::vector<SaveFunction> functions{SaveFunction::base64_image, SaveFunction::certificate_file};
  std::uint64_t image_bytes = 200'000;  ///< the PNG of save_base64_image
  std::uint64_t file_bytes = 200'000;   ///< the PDF of save_certificate_file
  bool fsync = true;
  unsigned pool_threads = aiofiles_pool_threads();  ///< the I/O threads of aiofiles and thread_pool
  unsigned decode_threads = SaveOptions{}.decode_threads;  ///< the decoding pool's threads (thread pool, io_uring)
  std::string save_dir;               ///< parent of the run's directory ("" = /tmp)
  bool keep_files = false;
  bool record = true;                 ///< record each saved file on its certificate row (the backend's request)
};

struct RunArgs {
  DatasetArgs dataset;
  std::string redis;  ///< --redis URL ("" = $REDIS_URL, else embedded)
  SaveLoadArgs saves;
  std::vector<unsigned> loop_concurrency{8};  ///< the listings on one event loop: concurrent requests (one at a time is the listing family)
  unsigned loop_sessions = 4;     ///< … and the database pool's sessions
  double loop_seconds = 0.5;      ///< … per (listing, implementation) point
  std::set<std::string, std::less<>> named;  ///< the options on the command line: they outrank --quick's budgets
  bool quick = false;             ///< CI's run: a small dataset, shorter budgets
  std::vector<std::string> only;  ///< --only: the scenarios to measure (listing, loop, caching, …; empty: the default set)
  std::string out;                ///< output folder ("" = reports/out/<UTC timestamp>, linked as latest)
  bool require_claims = false;    ///< a claim judged below its range exits 1
  bool full = false;              ///< add the scale sweep (and deep pages)
  std::string textfile;           ///< --textfile PATH: the Prometheus exposition there too (node_exporter)
  PushArgs push;                  ///< --runner, --pushgateway, --require-push
  std::string listen;             ///< --listen ADDR: serve /metrics during the run
  double linger = 0;              ///< --linger S: … and this long after it
  std::vector<std::uint64_t> scales;  ///< the sweep's scales (default 1k, 10k, 100k, 1M)
  std::string compare_binary;     ///< --compare-binary: the old build to measure against this one
  bool tables = false;            ///< --tables: every table in the terminal (default: a summary)
  bool profile = false;           ///< --profile: the headline listings under perf after measuring
  double profile_seconds = 3;     ///< … sampled seconds per implementation
  unsigned stall_seconds = 300;   ///< --stall-seconds S: give up when the measuring moved on no point for this long
  std::vector<std::string> command_line;  ///< as given, recorded in results.json
};
int run(const RunArgs& args);

/// The file-save scenario's spec from the options (run and saves), saving into `dir`.
harness::SaveRunSpec save_spec(const ReadyDataset& dataset, const std::string& schema, const SaveLoadArgs& args,
                               const std::filesystem::path& dir);

inline constexpr std::int64_t kNoUser = INT64_MIN;

/// Which page of which listing, from which implementation (show and load).
struct PageArgs {
  Listing listing = Listing::public_certificates;
  std::string impl = "limited";
  std::int64_t page = 1;
  std::int64_t size = 20;
  std::int64_t user = kNoUser;  ///< --user, for the user listing only
  /// The user id to pass to the listing (0 where the listing takes none).
  [[nodiscard]] std::int64_t user_id() const noexcept { return user == kNoUser ? 0 : user; }
};

struct ShowArgs {
  DatasetArgs dataset;
  PageArgs page;
  std::string after;            ///< an opaque cursor from a previous page
  bool json = false;
  bool pgbench_script = false;  ///< print the page's statement as a pgbench script instead
};
int show(const ShowArgs& args);

struct LoadArgs {
  DatasetArgs dataset;
  PageArgs page;
  unsigned clients = 1;
  bool event_loop = false;  ///< requests on one event loop, the database on a pool of `sessions`
  unsigned sessions = 4;
  double seconds = 10;
  bool json = false;
};
int load(const LoadArgs& args);

/// One listing path in a loop under perf (docs/profiling.md).
struct ProfileArgs {
  DatasetArgs dataset;
  PageArgs page;               ///< the path, --impl, the page; --user (default: the busiest owner)
  std::string against;         ///< --against: a second implementation, profiled after the first and compared
  double seconds = 5;          ///< the sampled loop, per implementation
  unsigned frequency = 997;    ///< samples per second
  std::string out;             ///< "" = reports/out/profile-<UTC time>
  bool keep_perf_data = false; ///< keep perf's recordings beside the outputs
};
int profile(const ProfileArgs& args);

/// Writes the profile of `sides` (harness::run_profile) into `dir`: per implementation its folded
/// stacks, flame graphs, top functions and EXPLAIN; with two sides, the functions whose share
/// changed most (diff.client.txt, diff.server.txt); summary.txt. Moves the sides' kept perf
/// recordings into their implementation's folder. Returns the summary, as the terminal shows it.
std::string write_profile(const std::vector<harness::ProfileSide>& sides, Listing listing, unsigned frequency,
                          const std::filesystem::path& dir);

struct SavesArgs {
  DatasetArgs dataset;
  SaveLoadArgs load;
  bool goals = false;  ///< print the claims and goals judged on the saves' figures
  std::vector<std::string> command_line;
};
int saves(const SavesArgs& args);

struct BenchArgs {
  db::TargetOptions target;
  std::vector<std::uint64_t> scales;
  std::uint64_t naive_max = 1'000'000;
  bool listing = true;                       ///< run bench_listing
  bool caching = true;                       ///< run bench_caching
  std::string redis;                         ///< --redis URL for bench_caching ("" = embedded)
  std::string results;                       ///< --results DIR: each suite's runs as results.json there
  bool goals = false;                        ///< judge the claims table's goals after the run
  std::vector<std::string> benchmark_flags;  ///< passed to Google Benchmark as they are
};
int bench(const BenchArgs& args);

struct SaveArgs {
  std::string impl = "thread_pool";
  std::string name;         ///< the file name in dir
  std::string base64_file;  ///< --base64-file: its text goes to save_base64_image
  std::string file;         ///< --file: its bytes go to save_certificate_file
  std::string dir;
  std::uint64_t max_bytes = kDefaultMaxSaveBytes;
  bool fsync = false;
  bool json = false;
};
int save(const SaveArgs& args);

struct ServeArgs {
  DatasetArgs dataset;
  std::string listen = "127.0.0.1:8080";
  std::string redis;        ///< redis://…: the redis template variant ("" = not served)
  std::string save_dir;     ///< "" = a fresh directory, removed at exit unless keep_files
  bool keep_files = false;
  std::string max_body = "16M";
  std::string max_header = "8k";
  unsigned max_connections = 256;
  double idle_timeout = 30;  ///< seconds
  unsigned threads = 4;
};
int serve(const ServeArgs& args);

struct LoadHttpArgs {
  std::string url;
  double rate = 0;          ///< requests per second
  double seconds = 10;
  unsigned connections = 64;
  double deadline = 2;      ///< seconds
  std::string post;         ///< --post FILE: POST its bytes instead of a GET ("" = GET)
  std::string content_type = "application/json";  ///< of the POST's body
  bool json = false;
  std::string name;         ///< the series' path label ("" = the URL's path)
  std::string out;          ///< --out DIR: results.json and metrics.prom
  PushArgs push;            ///< --runner, --pushgateway, --require-push
  std::vector<std::string> command_line;  ///< as given, recorded in results.json
};
int load_http(const LoadHttpArgs& args);

struct ReportArgs {
  std::string results;   ///< a results.json
  std::string out;       ///< "" = the results file's folder
  std::string textfile;  ///< --textfile PATH: the Prometheus exposition too
  PushArgs push;         ///< --runner, --pushgateway, --require-push
};

/// Pushes `run` to the Pushgateway (when --pushgateway is set) as `push.runner_of(run)`; a failure
/// is one warning naming the URL, and exit 3 only with --require-push. Returns the exit code to use
/// (0 when pushed or not required).
int push_to_gateway(const results::Run& run, const PushArgs& push);
int report(const ReportArgs& args);

struct GateArgs {
  std::string baseline;  ///< the baseline results.json ("" = judge only the run's head/base comparison)
  std::string current;   ///< the run to judge
  std::string policy;    ///< "" = the built-in policy (reports/baselines/policy.json)
  std::string out;       ///< the verdict as JSON ("" = none)
  std::string summary;   ///< the verdict as Markdown ("" = none; $GITHUB_STEP_SUMMARY gets it too)
};
/// Prints a verdict per checked figure; returns the gate's exit code (0, 1, 3 or 4).
int gate(const GateArgs& args);

struct BaselineArgs {
  std::string run;                               ///< a results.json
  std::string to = "reports/baselines/quick.json";
  bool keep_samples = false;
};
int baseline_update(const BaselineArgs& args);

/// The worker of run --compare-binary on stdin and stdout (harness/worker.hpp); returns its exit code.
int worker();

/// "1000", "10k", "1M" -> number; throws UsageError naming `option` otherwise.
std::uint64_t parse_count(const std::string& text, const std::string& option);

}  // namespace certbench::cli
