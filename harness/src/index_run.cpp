#include "certbench/harness/index_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/plans.hpp"
#include "certbench/impl_common/certificate_rows.hpp"

namespace certbench::harness {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Every index of the copy's tables that no constraint owns (primary and unique keys stay): what an
// index set adds. Only in `schema`, which the caller checked is certbench's copy.
void drop_secondary_indexes(db::Connection& c, const std::string& schema) {
  auto r = c.exec_params(
      "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
      "JOIN pg_namespace n ON n.oid = i.relnamespace WHERE n.nspname = $1 AND NOT EXISTS "
      "(SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u', 'x')) ORDER BY 1",
      {schema});
  for (std::size_t i = 0; i < r.rows(); ++i)
    c.exec("DROP INDEX " + db::quote_identifier(schema) + "." + db::quote_identifier(r.text(i, 0)));
}

std::vector<InsertMeasurement> measure_inserts(db::Connection& c, const IndexRunSpec& spec) {
  constexpr std::string_view columns =
      "id, certificate_number, template_id, spa_id, created_by, recipient_name, recipient_email, is_public, "
      "generated_at, file_path, image_path, payload";
  std::vector<InsertMeasurement> out;
  std::vector<std::string> statements;
  for (const auto& kind : certificate_kinds()) {
    const auto table = db::quote_identifier(kind.table);
    auto r = c.exec("SELECT coalesce(max(id), 0), count(*) FROM " + table);
    const auto offset = r.int64(0, 0);
    const auto rows = std::min<std::int64_t>(spec.insert_rows, r.int64(0, 1));
    if (rows == 0) continue;
    out.push_back({std::string(kind.table), rows, {}});
    // Copies of the table's first rows under new ids and numbers: every index of the set is
    // maintained for each, as for a certificate the backend issues.
    statements.push_back(fmt::format(
        "INSERT INTO {0} ({1}) SELECT id + {2}, certificate_number || '+', template_id, spa_id, created_by, "
        "recipient_name, recipient_email, is_public, generated_at, file_path, image_path, payload "
        "FROM {0} ORDER BY id LIMIT {3}",
        table, columns, offset, rows));
  }
  for (unsigned rep = 0; rep < spec.insert_repetitions; ++rep)  // the tables interleaved
    for (std::size_t k = 0; k < out.size(); ++k) {
      db::Transaction tx(c);
      const auto t0 = Clock::now();
      c.exec(statements[k]);
      const double s = seconds_since(t0);
      out[k].rows_per_second.push_back(s > 0 ? static_cast<double>(out[k].rows) / s : 0);
    }  // rolled back
  // The rolled-back rows are dead tuples: gone, and the visibility map whole again, before the next
  // set's listings read the tables.
  for (const auto& m : out) c.exec("VACUUM " + db::quote_identifier(m.table));
  return out;
}

}  // namespace

std::vector<IndexSetResult> measure_index_sets(const IndexRunSpec& spec, std::uint64_t scale,
                                               const std::function<void(std::string_view)>& progress) {
  const std::string& schema = spec.listing.schema;
  db::Connection c(spec.listing.dsn);
  if (c.server_version() < 150000)
    throw EnvironmentError("the index scenario needs PostgreSQL 15 or later (pg_stat_force_next_flush); the server is " +
                           std::to_string(c.server_version()));
  const auto stored = fixtures::stored_dataset(c, schema);
  if (!stored || stored->spec.indexes != fixtures::IndexSet::none)
    throw UsageError("the index scenario works on a copy of the dataset with index set none; schema " + schema +
                     " is not one");
  impl::use_dataset(c, schema);

  std::vector<std::vector<fixtures::IndexDefinition>> definitions;
  for (auto set : spec.sets) definitions.push_back(fixtures::index_definitions(set));

  std::vector<IndexSetResult> out;
  drop_secondary_indexes(c, schema);  // what an interrupted scenario may have left
  for (std::size_t k = 0; k < spec.sets.size(); ++k) {
    IndexSetResult result;
    result.set = spec.sets[k];
    const std::string set_name(fixtures::to_string(result.set));
    auto tell = [&](std::string_view detail) {
      if (progress) progress(set_name + ": " + std::string(detail));
    };
    std::size_t n = 0;
    for (const auto& d : definitions[k]) {
      tell(fmt::format("building {} ({}/{})", d.name, ++n, definitions[k].size()));
      IndexBuild b;
      b.index = d;
      const auto t0 = Clock::now();
      c.exec(d.sql);
      b.seconds = seconds_since(t0);
      b.size_bytes = static_cast<double>(
          c.exec_params("SELECT pg_relation_size(format('%I.%I', $1::text, $2::text)::regclass)", {schema, d.name})
              .int64(0, 0));
      for (std::size_t other = 0; other < definitions.size(); ++other)
        if (other != k)
          for (const auto& o : definitions[other])
            if (o.table == d.table && o.definition == d.definition) b.in_other_set = true;
      result.builds.push_back(std::move(b));
    }
    auto listing = spec.listing;
    listing.count_index_scans = true;
    result.listings = measure_listings(listing, tell);
    result.plans = capture_plans(listing, scale, tell);
    for (auto& p : result.plans) {
      p.family = std::string(results::family::indexes);
      p.mode = set_name;
    }
    tell("inserts");
    result.inserts = measure_inserts(c, spec);
    drop_secondary_indexes(c, schema);
    out.push_back(std::move(result));
  }
  return out;
}

}  // namespace certbench::harness
