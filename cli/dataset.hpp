#pragma once
// The dataset a command works on: the server (DatabaseTarget) and a ready dataset in it.
#include <optional>
#include <string>

#include "certbench/db/database_target.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/redis/client.hpp"
#include "certbench/results/run.hpp"
#include <vector>

namespace certbench::cli {

struct DatasetArgs {
  db::TargetOptions target;
  fixtures::DatasetSpec spec;
  bool scale_given = false;  ///< --scale named: that dataset; otherwise any ready one, or spec's
  std::string schema = "certbench";
};

struct ReadyDataset {
  db::DatabaseTarget target;
  fixtures::DatasetSpec spec;
  fixtures::SeedReport report;  ///< of the seed, or of the reuse
};

/// Seeds (or reuses) the dataset `spec` in `schema` on the server at `dsn`, with a progress line.
fixtures::SeedReport ensure_scale(const std::string& dsn, const fixtures::DatasetSpec& spec, const std::string& schema);

/// A new Run describing where it runs: certbench, the machine, the servers (Redis when given), the
/// dataset, the command line, the start time.
results::Run describe_run(const ReadyDataset& dataset, const std::optional<redis::Endpoint>& redis,
                          const std::vector<std::string>& command_line);

/// Resolves the server and makes sure a dataset is ready in the schema: without --scale, any
/// ready dataset there is used as it is; otherwise (or if none is ready) `spec` is seeded or reused.
ReadyDataset ensure_dataset(const DatasetArgs& args);

}  // namespace certbench::cli
