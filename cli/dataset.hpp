#pragma once
// The dataset a command works on: the server (DatabaseTarget) and a ready dataset in it.
#include <optional>
#include <string>

#include "certbench/db/database_target.hpp"
#include "certbench/fixtures/seeder.hpp"

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

/// Resolves the server and makes sure a dataset is ready in the schema: without --scale, any
/// ready dataset there is used as it is; otherwise (or if none is ready) `spec` is seeded or reused.
ReadyDataset ensure_dataset(const DatasetArgs& args);

}  // namespace certbench::cli
