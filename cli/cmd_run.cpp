// certbench run: the main job. Until the measured paths land it seeds the default dataset,
// shows it, and says plainly that there is nothing to measure yet.
#include <fmt/format.h>

#include "certbench/core/version.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "commands.hpp"
#include "dataset.hpp"
#include "terminal.hpp"

namespace certbench::cli {

int run(const RunArgs& args) {
  const auto dataset = ensure_dataset(args.dataset);
  const auto& report = dataset.report;
  fmt::print("certbench {} run\n\n", version());
  fmt::print("dataset  scale {}, seed {}, indexes {}, schema {} on {}\n", thousands(dataset.spec.scale),
             dataset.spec.seed, fixtures::to_string(dataset.spec.indexes), args.dataset.schema,
             dataset.target.description());
  fmt::print("         {} in {:.2f} s\n\n", report.reused ? "reused (dataset ready)" : "seeded",
             report.seconds);
  fmt::print("  {:<34} {:>12} {:>12} {:>12}\n", "table", "rows", "table data", "indexes");
  for (const auto& t : report.tables)
    fmt::print("  {:<34} {:>12} {:>12} {:>12}\n", t.name, thousands(t.rows), megabytes(t.table_bytes),
               megabytes(t.index_bytes));
  fmt::print("\nmeasurements: none yet. The naive and optimized paths are not built: listing "
             "(issue #3), caching (#4) and file saves (#5) come next; this run only prepared "
             "the dataset they will be measured on.\n");
  return 0;
}

}  // namespace certbench::cli
