// certbench saves: the file-save scenario on its own (every implementation at each concurrency on
// one event loop, beside the disk's ceiling); the terminal sink prints it, --goals adds the
// verdicts of the claims table on its figures.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "certbench/core/errors.hpp"
#include "certbench/harness/environment.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/scenarios.hpp"
#include "certbench/reports/terminal.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "save_directory.hpp"
#include "terminal.hpp"

namespace certbench::cli {

harness::SaveRunSpec save_spec(const ReadyDataset& dataset, const std::string& schema, const SaveLoadArgs& args,
                               const std::filesystem::path& dir) {
  harness::SaveRunSpec spec;
  spec.dsn = dataset.target.dsn();
  spec.schema = schema;
  spec.dir = dir;
  spec.impls = args.impls;
  spec.concurrency = args.concurrency;
  spec.duration_per_point = std::chrono::milliseconds(static_cast<long>(args.seconds * 1000));
  spec.repetitions = args.repetitions;
  spec.functions = args.functions;
  spec.image_bytes = args.image_bytes;
  spec.file_bytes = args.file_bytes;
  spec.options.fsync = args.fsync;
  spec.options.pool_threads = args.pool_threads;
  spec.options.decode_threads = args.decode_threads;
  spec.record = args.record;
  return spec;
}

int saves(const SavesArgs& args) {
  // A window must hold requests and lag probes (1 ms apart) enough for its p99 to mean something.
  if (const double window_ms = args.load.seconds * 1000 / args.load.repetitions; window_ms < 10)
    throw UsageError(fmt::format("--seconds {} split into {} repetitions gives {:.1f} ms windows; each needs at "
                                 "least 10 ms (raise --seconds or lower --repetitions)",
                                 args.load.seconds, args.load.repetitions, window_ms));
  const auto dataset = ensure_dataset(args.dataset);
  SaveDirectory dir(args.load.save_dir, args.load.keep_files);
  harness::RunPlan plan;
  plan.scale = dataset.spec.scale;
  plan.listing = plan.loop = plan.caching = plan.derived = false;
  plan.save_spec = save_spec(dataset, args.dataset.schema, args.load, dir.path());
  harness::RunCollector collector(describe_run(dataset, std::nullopt, args.command_line));
  ProgressLine progress;
  const auto code = collector.measure(plan, std::ref(progress));
  progress.clear();
  auto run = collector.snapshot();
  run.environment.ended_utc = harness::utc_now();
  if (run.series.empty() && run.complete)
    fmt::print("file saves: not measured (no certificate of this dataset has an image to save)\n");
  reports::PrintOptions options;
  options.verdicts = args.goals;
  reports::print_run(run, stdout, options);
  if (args.load.keep_files) note("saved files kept in " + dir.path().string());
  if (!run.complete) note(run.failure);
  return static_cast<int>(code);
}

namespace {

// saves' options as given, before they are checked.
struct SavesOptions {
  SavesArgs args;
  DatasetOptions dataset;
  std::string impls = fmt::format("{}", fmt::join(harness::file_save_implementations(), ",")),
              concurrency = "1,2,4,8,16,32,64", image = "200k",
              file = "200k", paths = "save_base64_image,save_certificate_file";
  bool no_fsync = false, no_record = false;

  void finish(const CommandLine& line) {
    auto& load = args.load;
    load.impls.clear();
    const auto known = harness::file_save_implementations();
    for (const auto& name : split_list(impls)) {
      if (std::find(known.begin(), known.end(), name) == known.end())
        throw UsageError("--impl takes " + one_of(known, "and") + " (got '" + name + "')");
      load.impls.push_back(name);
    }
    load.concurrency = parse_counts(concurrency, "--concurrency", 1024);
    load.image_bytes = parse_count(image, "--image-size");
    if (load.image_bytes < 64 || load.image_bytes > (64u << 20))
      throw UsageError("--image-size must be between 64 bytes and 64M (got " + image + ")");
    load.file_bytes = parse_count(file, "--file-size");
    if (load.file_bytes < 64 || load.file_bytes > (64u << 20))
      throw UsageError("--file-size must be between 64 bytes and 64M (got " + file + ")");
    load.functions.clear();
    for (const auto& name : split_list(paths)) {
      if (name == to_string(SaveFunction::base64_image))
        load.functions.push_back(SaveFunction::base64_image);
      else if (name == to_string(SaveFunction::certificate_file))
        load.functions.push_back(SaveFunction::certificate_file);
      else
        throw UsageError("--path takes save_base64_image and save_certificate_file (got '" + name + "')");
    }
    load.fsync = !no_fsync;
    load.record = !no_record;
    dataset.finish();
    args.command_line = line;
  }
};

}  // namespace

Command add_saves(CLI::App& app, const CommandLine& line) {
  auto o = std::make_shared<SavesOptions>();
  auto& load = o->args.load;
  load.seconds = 2;
  auto* sub = app.add_subcommand(
      "saves", "the file-save load on one event loop: save_base64_image and save_certificate_file at each "
               "concurrency, every implementation, with throughput, latency and event-loop lag, and the disk's "
               "ceiling (the atomic write alone on as many threads)");
  sub->add_option("--path", o->paths, "save functions, comma-separated: save_base64_image, save_certificate_file")
      ->type_name("LIST")
      ->capture_default_str();
  sub->add_option("--impl", o->impls,
                  "implementations, comma-separated: " + one_of(harness::file_save_implementations(), "and") +
                      " (aiofiles is the review's fix; docs/file-saves.md)")
      ->type_name("LIST")
      ->capture_default_str();
  sub->add_option("--concurrency", o->concurrency, "concurrent requests on the loop, comma-separated (1..1024)")
      ->type_name("LIST")
      ->capture_default_str();
  sub->add_option("--seconds", load.seconds, "seconds per (implementation, concurrency) point")
      ->type_name("S")
      ->check(CLI::Range(0.05, 600.0))
      ->capture_default_str();
  sub->add_option("--repetitions", load.repetitions,
                  "windows each point's seconds are split into, interleaved across the implementations and the "
                  "ceiling: each is one sample of the 95% intervals (more give narrower intervals)")
      ->type_name("N")
      ->check(CLI::Range(2u, 100u))
      ->capture_default_str();
  sub->add_option("--image-size", o->image, "bytes of the PNG save_base64_image saves (base64 in a data URL)")
      ->type_name("BYTES")
      ->capture_default_str();
  sub->add_option("--file-size", o->file, "bytes of the PDF save_certificate_file saves")
      ->type_name("BYTES")
      ->capture_default_str();
  sub->add_flag("--no-fsync", o->no_fsync,
                "do not fsync before the rename (by default a file is durable before its row points at it)");
  sub->add_option("--pool-threads", load.pool_threads,
                  "I/O threads of aiofiles and thread_pool (default: aiofiles' executor, min(32, cores + 4))")
      ->type_name("N")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  sub->add_option("--decode-threads", load.decode_threads,
                  "threads that check and decode images off the loop, for thread_pool and io_uring (default: "
                  "the cores)")
      ->type_name("N")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  add_save_dir_options(*sub, load);
  auto* goals = sub->add_flag(
      "--goals", o->args.goals, "judge the claims table's file-save claim and goals on this run's figures (at 64 concurrent)");
  sub->add_flag("--no-record", o->no_record,
                "measure the save alone: do not record each saved file's path on its certificate row afterwards (a "
                "request does, as the backend does; PostgreSQL's side of that update runs on this machine's cores, "
                "which the write-only ceiling does not pay). The goals are judged on the request, so not with --goals")
      ->excludes(goals);
  o->dataset.add(*sub, o->args.dataset);
  return {sub, [o, &line] {
            o->finish(line);
            return saves(o->args);
          }};
}

}  // namespace certbench::cli
