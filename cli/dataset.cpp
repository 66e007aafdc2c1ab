#include "dataset.hpp"

#include <fmt/format.h>

#include "certbench/db/connection.hpp"
#include "certbench/harness/environment.hpp"
#include "terminal.hpp"

namespace certbench::cli {

ReadyDataset ensure_dataset(const DatasetArgs& args) {
  auto target = db::DatabaseTarget::resolve(args.target, note);
  fixtures::DatasetSpec spec = args.spec;
  if (!args.scale_given) {
    db::Connection c(target.dsn());
    if (auto stored = fixtures::stored_dataset(c, args.schema);
        stored && stored->schema_version == fixtures::kSchemaVersion)
      spec = stored->spec;
  }
  auto report = ensure_scale(target.dsn(), spec, args.schema);
  return {std::move(target), spec, std::move(report)};
}

fixtures::SeedReport ensure_scale(const std::string& dsn, const fixtures::DatasetSpec& spec, const std::string& schema) {
  fixtures::SeedReport report;
  {
    SeedProgressLine progress;
    report = fixtures::seed(dsn, {spec, schema, false, 0}, std::ref(progress), note);
  }
  if (!report.reused)
    note(fmt::format("seeded {} certificates into schema {} in {:.1f} s", thousands(spec.scale), schema, report.seconds));
  return report;
}

results::Run describe_run(const ReadyDataset& dataset, const std::optional<redis::Endpoint>& redis,
                          const std::vector<std::string>& command_line) {
  results::Run run;
  auto& env = run.environment;
  env.started_utc = harness::utc_now();
  harness::describe_environment(env, dataset.target.dsn(), redis);
  env.dataset_scale = dataset.spec.scale;
  env.dataset_seed = dataset.spec.seed;
  env.dataset_indexes = std::string(fixtures::to_string(dataset.spec.indexes));
  env.dataset_fingerprint = fmt::format("scale={} seed={} indexes={} version={}", dataset.spec.scale,
                                        dataset.spec.seed, env.dataset_indexes, fixtures::kSchemaVersion);
  env.options = command_line;
  return run;
}

}  // namespace certbench::cli
