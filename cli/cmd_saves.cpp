// certbench saves: the file-save scenario on its own (every implementation at each concurrency on
// one event loop, beside the disk's ceiling); the terminal sink prints it, --goals adds the
// verdicts of the claims table on its figures.
#include <fmt/format.h>

#include "certbench/harness/environment.hpp"
#include "certbench/harness/scenarios.hpp"
#include "certbench/reports/terminal.hpp"
#include "commands.hpp"
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
  spec.paths = args.paths;
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
  harness::RunRecorder recorder(describe_run(dataset, std::nullopt, args.command_line));
  ProgressLine progress;
  const auto code = recorder.measure(plan, std::ref(progress));
  progress.clear();
  auto run = recorder.snapshot();
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

}  // namespace certbench::cli
