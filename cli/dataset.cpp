#include "dataset.hpp"

#include <fmt/format.h>

#include "certbench/db/connection.hpp"
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
  fixtures::SeedReport report;
  {
    SeedProgressLine progress;
    report = fixtures::seed(target.dsn(), {spec, args.schema, false, 0}, std::ref(progress), note);
  }
  if (!report.reused)
    note(fmt::format("seeded {} certificates into schema {} in {:.1f} s", thousands(spec.scale), args.schema,
                     report.seconds));
  return {std::move(target), spec, std::move(report)};
}

}  // namespace certbench::cli
