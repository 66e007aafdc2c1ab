#include "certbench/harness/index_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <memory>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
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

// The insert statement of every certificate table with rows (copies of its first rows under new
// ids and numbers: every index of the set is maintained for each, as for a certificate the backend
// issues), and an empty measurement for each.
std::vector<std::pair<InsertMeasurement, std::string>> insert_statements(db::Connection& c, const IndexRunSpec& spec) {
  constexpr std::string_view columns =
      "id, certificate_number, template_id, spa_id, created_by, recipient_name, recipient_email, is_public, "
      "generated_at, file_path, image_path, payload";
  std::vector<std::pair<InsertMeasurement, std::string>> out;
  for (const auto& kind : certificate_kinds()) {
    const auto table = db::quote_identifier(kind.table);
    auto r = c.exec("SELECT coalesce(max(id), 0), count(*) FROM " + table);
    const auto offset = r.int64(0, 0);
    const auto rows = std::min<std::int64_t>(spec.insert_rows, r.int64(0, 1));
    if (rows == 0) continue;
    out.push_back({{std::string(kind.table), rows, {}},
                   fmt::format("INSERT INTO {0} ({1}) SELECT id + {2}, certificate_number || '+', template_id, spa_id, "
                               "created_by, recipient_name, recipient_email, is_public, generated_at, file_path, "
                               "image_path, payload FROM {0} ORDER BY id LIMIT {3}",
                               table, columns, offset, rows)});
  }
  return out;
}

}  // namespace

std::string index_copy_schema(std::string_view schema, fixtures::IndexSet set) {
  return std::string(schema) + "_ix_" + std::string(fixtures::to_string(set));
}

IndexRunSpec IndexRunSpec::of_run(const ListingRunSpec& listing, std::string_view schema) {
  IndexRunSpec spec;
  spec.listing = listing;
  spec.listing.budget_per_listing = std::chrono::milliseconds(3000);
  for (auto set : {fixtures::IndexSet::none, fixtures::IndexSet::review, fixtures::IndexSet::best})
    spec.copies.push_back({set, index_copy_schema(schema, set)});
  return spec;
}

std::vector<IndexSetResult> measure_index_sets(const IndexRunSpec& spec, std::uint64_t scale,
                                               const std::function<void(std::string_view)>& progress) {
  if (spec.copies.empty()) return {};
  std::vector<std::unique_ptr<db::Connection>> connections;
  for (const auto& copy : spec.copies) {
    auto c = std::make_unique<db::Connection>(spec.listing.dsn);
    if (c->server_version() < 150000)
      throw EnvironmentError("the index scenario needs PostgreSQL 15 or later (pg_stat_force_next_flush); the server is " +
                             std::to_string(c->server_version()));
    const auto stored = fixtures::stored_dataset(*c, copy.schema);
    if (!stored || stored->spec.indexes != fixtures::IndexSet::none)
      throw UsageError("the index scenario works on copies of the dataset with index set none; schema " + copy.schema +
                       " is not one");
    impl_common::use_dataset(*c, copy.schema);
    connections.push_back(std::move(c));
  }

  std::vector<IndexSetResult> out(spec.copies.size());
  std::vector<std::vector<fixtures::IndexDefinition>> definitions;
  for (const auto& copy : spec.copies) definitions.push_back(fixtures::index_definitions(copy.set));
  for (std::size_t k = 0; k < spec.copies.size(); ++k) {
    const auto& copy = spec.copies[k];
    auto& c = *connections[k];
    out[k].set = copy.set;
    drop_secondary_indexes(c, copy.schema);  // what an interrupted scenario may have left
    std::size_t n = 0;
    for (const auto& d : definitions[k]) {
      if (progress)
        progress(fmt::format("{}: building {} ({}/{})", fixtures::to_string(copy.set), d.name, ++n, definitions[k].size()));
      IndexBuild b;
      b.index = d;
      const auto t0 = Clock::now();
      c.exec(d.sql);
      b.seconds = seconds_since(t0);
      b.size_bytes = static_cast<double>(
          c.exec_params("SELECT pg_relation_size(format('%I.%I', $1::text, $2::text)::regclass)", {copy.schema, d.name})
              .int64(0, 0));
      for (std::size_t other = 0; other < definitions.size(); ++other)
        if (other != k)
          for (const auto& o : definitions[other])
            if (o.table == d.table && o.definition == d.definition) b.in_other_set = true;
      out[k].builds.push_back(std::move(b));
    }
  }

  // Every set's listings in one set of interleaved rounds.
  auto listing = spec.listing;
  listing.count_index_scans = true;
  // Not "parallel": its statements are pipelined's, run on sessions of its own whose scan counts
  // the measuring session cannot flush into a subject's window.
  if (listing.implementations.empty())
    for (auto name : listing_implementations())
      if (name != "parallel") listing.implementations.push_back(name);
  std::vector<std::string> schemas;
  for (const auto& copy : spec.copies) schemas.push_back(copy.schema);
  auto measured = measure_listings_across(listing, schemas, [&](std::string_view d) {
    if (progress) progress("every set: " + std::string(d));
  });
  for (std::size_t k = 0; k < spec.copies.size(); ++k) {
    const std::string set_name(fixtures::to_string(spec.copies[k].set));
    out[k].listings = std::move(measured[k]);
    auto one = listing;
    one.schema = spec.copies[k].schema;
    try {
      out[k].plans = capture_plans(one, scale, [&](std::string_view d) {
        if (progress) progress(set_name + ": plans, " + std::string(d));
      });
    } catch (const QueryError&) {
      // A plan that cannot be captured costs the scenario its plans for this set, not its figures.
      out[k].plans.clear();
    }
    for (auto& p : out[k].plans) {
      p.family = std::string(results::family::indexes);
      p.mode = set_name;
    }
  }

  // The inserts, the copies interleaved batch by batch; each batch rolled back.
  if (progress) progress("every set: inserts");
  std::vector<std::vector<std::pair<InsertMeasurement, std::string>>> inserts;
  for (auto& c : connections) inserts.push_back(insert_statements(*c, spec));
  // Each repetition starts at the next copy, so no set always follows the same one.
  for (unsigned rep = 0; rep < spec.insert_repetitions; ++rep)
    for (std::size_t i = 0; i < inserts.size(); ++i)
      for (const std::size_t k = (i + rep) % inserts.size(); auto& [m, sql] : inserts[k]) {
        db::Transaction tx(*connections[k]);
        const auto t0 = Clock::now();
        connections[k]->exec(sql);
        const double s = seconds_since(t0);
        m.rows_per_second.push_back(s > 0 ? static_cast<double>(m.rows) / s : 0);
      }  // rolled back
  for (std::size_t k = 0; k < inserts.size(); ++k) {
    for (auto& [m, sql] : inserts[k]) {
      // The rolled-back rows are dead tuples: gone, and the visibility map whole again.
      connections[k]->exec("VACUUM " + db::quote_identifier(m.table));
      out[k].inserts.push_back(std::move(m));
    }
    drop_secondary_indexes(*connections[k], spec.copies[k].schema);
  }
  return out;
}

}  // namespace certbench::harness
