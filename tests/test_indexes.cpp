// The index scenario (docs/indexes.md): every set builds on a copy of the dataset, its
// figures are all there, and each recommended index's verdict follows from idx_scan — an index no
// listing can use (the review's templates index) is unused, one the limited listings read (best's
// owner feed) is used. Also the verdict rule on figures made by hand, and `certbench run --only
// indexes` end to end, leaving the run's own dataset as it was.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/indexes.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/scenarios.hpp"
#include "certbench/results/analysis.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"
#include "support/cluster.hpp"
#include "support/text.hpp"

using namespace certbench;
namespace fs = std::filesystem;
using results::Metric;
using results::Series;
using certbench::testing::has;
using certbench::testing::slurp;

namespace {

// Secondary and key indexes of a schema, by name.
std::set<std::string> indexes_of(db::Connection& c, const std::string& schema) {
  auto r = c.exec_params("SELECT indexname FROM pg_indexes WHERE schemaname = $1", {schema});
  std::set<std::string> out;
  for (std::size_t i = 0; i < r.rows(); ++i) out.insert(std::string(r.text(i, 0)));
  return out;
}

const results::IndexVerdict* verdict_of(const results::Run& run, std::string_view set, std::string_view index) {
  for (const auto& v : run.index_verdicts)
    if (v.set == set && v.index == index) return &v;
  return nullptr;
}

}  // namespace

TEST(IndexSets, DefinitionsAreTheSqlFilesOnePerIndex) {
  EXPECT_TRUE(fixtures::index_definitions(fixtures::IndexSet::none).empty());
  const auto review = fixtures::index_definitions(fixtures::IndexSet::review);
  const auto best = fixtures::index_definitions(fixtures::IndexSet::best);
  const auto tables = certificate_kinds().size();
  ASSERT_EQ(review.size(), 1 + 2 * tables);
  ASSERT_EQ(best.size(), 1 + 3 * tables);
  EXPECT_EQ(review.front().table, "certificate_templates");
  EXPECT_EQ(review.front().name, "idx_certificates_public");
  EXPECT_EQ(review.front().definition, "(is_public, is_active)");
  EXPECT_EQ(best.front().definition, review.front().definition);
  EXPECT_EQ(review[1].name, "idx_" + std::string(certificate_kinds()[0].table) + "_created_by");
  EXPECT_EQ(review[1].definition, "(created_by)");
  EXPECT_EQ(best[1].definition, "(generated_at DESC, id DESC) WHERE is_public");
  for (const auto& d : best) EXPECT_TRUE(d.sql.starts_with("CREATE INDEX " + d.name + " ON " + d.table + " ")) << d.sql;
}

// The rule of IndexVerdict on figures made by hand: what decides is idx_scan (per index, and per
// listing that scanned it) and the intervals against none.
TEST(IndexSets, VerdictsFollowFromScansPlansAndIntervals) {
  results::Run run;
  auto listing = [&](const std::string& set, std::vector<double> latencies, double buffers) {
    Series s;
    s.family = results::family::indexes;
    s.path = "get_user_certificates";
    s.implementation = "limited";
    s.mode = set;
    s.parameters = {{"scale", 1000}, {"page", 1}, {"size", 20}};
    s.samples[Metric::latency] = std::move(latencies);
    s.values[Metric::shared_buffers] = buffers;
    run.series.push_back(s);
  };
  auto index = [&](const std::string& set, const std::string& table, const std::string& name, double scans,
                   std::optional<double> in_review = std::nullopt) {
    Series s;
    s.family = results::family::index;
    s.path = table;
    s.implementation = name;
    s.mode = set;
    s.parameters = {{"scale", 1000}};
    if (in_review) s.parameters["in_review"] = *in_review;
    s.values[Metric::index_scans] = scans;
    s.values[Metric::index_size_bytes] = 8192;
    run.series.push_back(s);
  };
  auto writes = [&](const std::string& set, const std::string& table, double rate) {
    Series s;
    s.family = results::family::index_writes;
    s.path = table;
    s.implementation = "insert";
    s.mode = set;
    s.parameters = {{"scale", 1000}, {"rows", 100}};
    s.samples[Metric::insert_rate] = {rate, rate * 1.01, rate * 0.99, rate * 1.02, rate * 0.98};
    run.series.push_back(s);
  };
  auto use = [&](const std::string& set, const std::string& index_name, double scans) {
    run.index_use.push_back({set, "get_user_certificates", "limited", index_name, scans});
  };
  auto plan = [&](const std::string& set, const std::string& index_name) {
    results::Plan p;
    p.family = results::family::indexes;
    p.path = "get_user_certificates";
    p.implementation = "limited";
    p.mode = set;
    p.parameters = {{"scale", 1000}, {"page", 1}, {"size", 20}};
    p.indexes = {index_name};
    run.plans.push_back(p);
  };
  // none: 10 ms; review: the listing reads a_created_by and is slower, with more buffers; best:
  // faster with fewer buffers.
  listing("none", {0.010, 0.011, 0.010, 0.0105, 0.0102}, 100);
  listing("review", {0.020, 0.021, 0.020, 0.0205, 0.0202}, 150);
  listing("best", {0.001, 0.0011, 0.001, 0.00105, 0.00102}, 10);
  index("review", "certificate_templates", "idx_certificates_public", 0);
  index("review", "a_certificates", "idx_a_created_by", 4);
  index("review", "a_certificates", "idx_a_generated_at", 0);
  index("review", "b_certificates", "idx_b_generated_at", 3);  // scanned by no listing recorded in index_use
  index("best", "a_certificates", "idx_a_owner_feed", 4, 0);
  index("best", "certificate_templates", "idx_templates_public", 0, 1);
  use("review", "idx_a_created_by", 4);
  use("best", "idx_a_owner_feed", 4);
  // A captured plan that names an index the listing's calls did not scan decides nothing: the
  // verdicts follow idx_scan (b_generated_at's 3 scans came from another listing, not recorded).
  plan("review", "idx_b_generated_at");
  // Inserts into a_certificates: half the rate with review, the same with best; b not slower.
  writes("none", "a_certificates", 1000);
  writes("review", "a_certificates", 500);
  writes("best", "a_certificates", 1000);
  writes("none", "b_certificates", 1000);
  writes("review", "b_certificates", 1000);
  results::analyse(run);

  const auto* tpl = verdict_of(run, "review", "idx_certificates_public");
  ASSERT_NE(tpl, nullptr);
  EXPECT_EQ(tpl->outcome, "unused") << tpl->reason;  // no scans, its table's writes not measured
  const auto* created_by = verdict_of(run, "review", "idx_a_created_by");
  ASSERT_NE(created_by, nullptr);
  EXPECT_EQ(created_by->outcome, "harmful") << created_by->reason;  // read by a listing that got slower
  EXPECT_EQ(created_by->read_by, std::vector<std::string>{"get_user_certificates/limited"});
  const auto* generated_at = verdict_of(run, "review", "idx_a_generated_at");
  ASSERT_NE(generated_at, nullptr);
  EXPECT_EQ(generated_at->outcome, "harmful") << generated_at->reason;  // no scans, a_certificates' inserts slower
  const auto* b_generated_at = verdict_of(run, "review", "idx_b_generated_at");
  ASSERT_NE(b_generated_at, nullptr);
  EXPECT_EQ(b_generated_at->outcome, "used") << b_generated_at->reason;
  EXPECT_TRUE(b_generated_at->read_by.empty());
  const auto* feed = verdict_of(run, "best", "idx_a_owner_feed");
  ASSERT_NE(feed, nullptr);
  EXPECT_EQ(feed->outcome, "used") << feed->reason;
  EXPECT_TRUE(feed->adds);
  const auto* best_tpl = verdict_of(run, "best", "idx_templates_public");
  ASSERT_NE(best_tpl, nullptr);
  EXPECT_EQ(best_tpl->outcome, "unused");
  EXPECT_FALSE(best_tpl->adds);
  // What best adds: best against review, and each set against none.
  const auto* review = run.find("indexes/get_user_certificates/limited/review/page=1/scale=1000/size=20");
  const auto* best = run.find("indexes/get_user_certificates/limited/best/page=1/scale=1000/size=20");
  ASSERT_NE(review, nullptr);
  ASSERT_NE(best, nullptr);
  const auto* d = results::find_delta(run, *review, *best, Metric::latency);
  ASSERT_NE(d, nullptr);
  EXPECT_GT(d->factor.low, 1);
  // No index delta against naive, and none among the headline deltas.
  EXPECT_TRUE(results::headline_deltas(run, 10).empty());
  // The figures and verdicts survive results.json.
  const auto back = results::from_json(results::to_json(run), "test");
  EXPECT_EQ(back.index_verdicts, run.index_verdicts);
  EXPECT_EQ(back.index_use, run.index_use);
}

// The scenario itself on a small dataset: each set builds, the figures are there, the verdicts
// follow from idx_scan.
TEST(IndexSets, EachSetBuildsAndVerdictsFollowFromIndexScans) {
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  constexpr std::uint64_t scale = 10000;  // the planner reads best's indexes at this scale
  harness::IndexRunSpec spec;
  db::Connection c(dsn);
  std::map<std::string, std::set<std::string>> keys;
  for (auto set : {fixtures::IndexSet::none, fixtures::IndexSet::review, fixtures::IndexSet::best}) {
    fixtures::SeedOptions o;
    o.spec = {scale, 5, fixtures::IndexSet::none};
    o.schema = harness::index_copy_schema("ix", set);
    fixtures::seed(dsn, o);
    keys[o.schema] = indexes_of(c, o.schema);
    spec.copies.push_back({set, o.schema});
  }
  EXPECT_EQ(spec.copies[1].schema, "ix_ix_review");
  spec.listing.dsn = dsn;
  // Two listings keep it short under the sanitizers; the CLI test below runs all four.
  spec.listing.listings = {Listing::public_certificates, Listing::user_certificates};
  spec.listing.budget_per_listing = std::chrono::milliseconds(50);
  spec.listing.min_rounds = 2;
  spec.listing.min_rounds_slow = 2;
  spec.listing.server_calls = 1;
  spec.insert_rows = 200;
  spec.insert_repetitions = 3;
  std::vector<std::string> told;
  const auto sets = harness::measure_index_sets(spec, scale, [&](std::string_view d) { told.emplace_back(d); });
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_TRUE(std::any_of(told.begin(), told.end(), [](const auto& t) { return t.starts_with("best: building"); }));
  // Each copy is left with its keys only, as its marker (index set none) says.
  for (const auto& [schema, names] : keys) EXPECT_EQ(indexes_of(c, schema), names) << schema;

  results::Run run;
  run.series = harness::to_series(sets, spec, scale);
  for (const auto& s : sets) {
    run.plans.insert(run.plans.end(), s.plans.begin(), s.plans.end());
    const auto uses = harness::index_use_of(s);
    run.index_use.insert(run.index_use.end(), uses.begin(), uses.end());
  }
  results::analyse(run);

  for (const auto& set : sets) {
    const auto expected = fixtures::index_definitions(set.set);
    ASSERT_EQ(set.builds.size(), expected.size());
    for (const auto& b : set.builds) {
      EXPECT_GT(b.size_bytes, 0) << b.index.name;
      EXPECT_GT(b.seconds, 0) << b.index.name;
    }
    EXPECT_EQ(set.listings.size(), 8u);  // 2 listings x naive, review, limited, pipelined (not parallel)
    // One set of interleaved rounds for every set: as many samples for each.
    EXPECT_EQ(set.listings.front().latencies_ms.size(), sets.front().listings.front().latencies_ms.size());
    for (const auto& m : set.listings) {
      EXPECT_FALSE(m.latencies_ms.empty());
      EXPECT_NE(m.impl, "parallel") << "its sessions' scans cannot be flushed into a window";
      ASSERT_TRUE(m.server.has_value()) << "pg_stat_statements is preloaded by the embedded cluster";
      EXPECT_GT(m.server->shared_buffers, 0);
      if (set.set == fixtures::IndexSet::none)  // only keys: no secondary index to scan
        for (const auto& [name, n] : m.index_scans) {
          EXPECT_TRUE(keys.begin()->second.count(name)) << name;
        }
    }
    EXPECT_FALSE(set.plans.empty());
    ASSERT_EQ(set.inserts.size(), certificate_kinds().size());
    for (const auto& w : set.inserts) {
      EXPECT_EQ(w.rows, 200);
      EXPECT_EQ(w.rows_per_second.size(), 3u);
    }
  }
  // A verdict per index of review and best, and it follows from the scans.
  ASSERT_EQ(run.index_verdicts.size(), fixtures::index_definitions(fixtures::IndexSet::review).size() +
                                            fixtures::index_definitions(fixtures::IndexSet::best).size());
  for (const auto& v : run.index_verdicts) {
    double used = 0;  // the index's scans summed over the listings that scanned it
    for (const auto& u : run.index_use)
      if (u.set == v.set && u.index == v.index) used += u.scans;
    EXPECT_EQ(v.scans, used) << v.index;
    EXPECT_EQ(v.read_by.empty(), v.scans == 0) << v.index;
    if (v.scans == 0) {
      EXPECT_NE(v.outcome, "used") << v.index;
    } else {
      EXPECT_NE(v.outcome, "unused") << v.index;
    }
  }
  // The review's templates index: no listing filters templates by is_public.
  const auto* tpl = verdict_of(run, "review", "idx_certificates_public");
  ASSERT_NE(tpl, nullptr);
  EXPECT_EQ(tpl->scans, 0);
  EXPECT_NE(tpl->outcome, "used");
  // best's owner feed on every table: the limited user listing reads each in a Merge Append, and
  // touches far fewer buffers than without it.
  for (const auto& kind : certificate_kinds()) {
    const auto name = "idx_" + std::string(kind.table) + "_owner_feed";
    const auto* v = verdict_of(run, "best", name);
    ASSERT_NE(v, nullptr) << name;
    EXPECT_GT(v->scans, 0) << name;
    EXPECT_EQ(v->outcome, "used") << v->reason;
    EXPECT_TRUE(v->adds) << name;
    EXPECT_TRUE(std::find(v->read_by.begin(), v->read_by.end(), "get_user_certificates/limited") != v->read_by.end())
        << name;
  }
  // Against none and best against review, per listing and implementation.
  const auto* best = run.find("indexes/get_user_certificates/limited/best/page=1/scale=10000/size=20");
  ASSERT_NE(best, nullptr);
  const auto* none = results::under_set(run, *best, "none");
  const auto* review = results::under_set(run, *best, "review");
  ASSERT_NE(none, nullptr);
  ASSERT_NE(review, nullptr);
  const auto* against_none = results::find_delta(run, *none, *best, Metric::latency);
  ASSERT_NE(against_none, nullptr);
  // Paired: the sets' copies are measured in the same rounds (the method by the rounds' count).
  EXPECT_TRUE(against_none->method == results::method::paired_bootstrap ||
              against_none->method == results::method::sign_test || against_none->method == results::method::range)
      << against_none->method;
  EXPECT_NE(results::find_delta(run, *review, *best, Metric::shared_buffers), nullptr);
  EXPECT_LT(*best->value(Metric::shared_buffers), *none->value(Metric::shared_buffers));
}

// A schema that is not a copy with index set none is refused before anything is built or dropped.
TEST(IndexSets, RefusesASchemaThatIsNotACopyWithoutIndexes) {
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  fixtures::SeedOptions o;
  o.spec = {1000, 5, fixtures::IndexSet::best};
  o.schema = "ix_not_a_copy";
  fixtures::seed(dsn, o);
  db::Connection c(dsn);
  const auto before = indexes_of(c, "ix_not_a_copy");
  harness::IndexRunSpec spec;
  spec.listing.dsn = dsn;
  spec.copies = {{fixtures::IndexSet::review, "ix_not_a_copy"}};
  EXPECT_THROW(harness::measure_index_sets(spec, 1000), UsageError);
  EXPECT_EQ(indexes_of(c, "ix_not_a_copy"), before);
}

// `certbench run --only indexes`: the scenario alone, its copy seeded beside the dataset, the
// figures in every sink, and the run's own dataset as it was.
TEST(IndexSets, RunPathsIndexesWritesEverySinkAndLeavesTheDatasetAsItWas) {
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  const auto out = sys::make_unique_dir(sys::throwaway_parent(), "certbench-test-indexes-");
  auto first = certbench::testing::run_certbench({"seed", "--scale", "2000", "--schema", "cli_ix", "--dsn", dsn});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  db::Connection c(dsn);
  const auto before = indexes_of(c, "cli_ix");
  auto r = certbench::testing::run_certbench({"run", "--quick", "--only", "indexes", "--scale", "2000", "--schema",
                                              "cli_ix", "--out", out.string(), "--dsn", dsn});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "index sets side by side")) << r.out;
  EXPECT_TRUE(has(r.out, "the review set's indexes:")) << r.out;  // each set's verdicts, counted, the unused named
  EXPECT_TRUE(has(r.out, "the best set's indexes:")) << r.out;
  EXPECT_TRUE(has(r.out, "idx_certificates_public")) << r.out;  // the review's templates index: no listing reads it
  for (const char* copy : {"cli_ix_ix_none", "cli_ix_ix_review", "cli_ix_ix_best"})
    EXPECT_TRUE(has(r.err, copy)) << r.err;  // the copies, seeded
  EXPECT_EQ(indexes_of(c, "cli_ix"), before);
  const auto run = results::load(out / "results.json");
  EXPECT_TRUE(run.complete);
  EXPECT_FALSE(run.index_verdicts.empty());
  EXPECT_FALSE(run.index_use.empty());
  EXPECT_TRUE(run.of_family(results::family::listing).empty());  // only what --only named
  EXPECT_FALSE(run.of_family(results::family::index_writes).empty());
  auto valid = sys::run_capture({"/usr/bin/python3", "-c",
                                 "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), "
                                 "json.load(open(sys.argv[2])), cls=jsonschema.Draft202012Validator)",
                                 (out / "results.json").string(),
                                 std::string(CERTBENCH_SOURCE_DIR) + "/reports/schema/results.schema.json"});
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  const auto prom = slurp(out / "metrics.prom");
  for (const char* name : {"certbench_index_verdict{", "certbench_index_size_bytes{", "certbench_index_scans{",
                           "certbench_index_insert_rows_per_second{", "baseline_set=\"review\""})
    EXPECT_TRUE(has(prom, name)) << name;
  auto promtool = sys::run_capture({"/bin/sh", "-c", "promtool check metrics < '" + (out / "metrics.prom").string() + "'"});
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out << promtool.err;
  // One value per name and label set (the Pushgateway refuses duplicates): the set deltas say
  // which set they are against.
  std::istringstream lines(prom);
  std::set<std::string> seen;
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] != '#') {
      EXPECT_TRUE(seen.insert(line.substr(0, line.rfind(' '))).second) << line;
    }
  const auto report = slurp(out / "report.md");
  EXPECT_TRUE(has(report, "## The review's index recommendations, judged")) << report;
  EXPECT_TRUE(has(report, "| review | `idx_certificates_public`")) << report;
  fs::remove_all(out);
}
