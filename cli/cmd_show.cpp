// certbench show: one page of one listing from one implementation, with what it cost.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/harness/heap_meter.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/http/cursor.hpp"
#include "certbench/http/json.hpp"
#include "certbench/impl_optimized/listing.hpp"
#include "certbench/impl_optimized/per_kind_listing.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "dataset.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace {

// One statement with $n as pgbench variables :<prefix><n>, set by \set (numbers) or by pgbench -D
// (text, added to `defines`). Returns the \set lines and the statement.
std::string pgbench_statement(const std::string& text, const std::vector<db::Param>& params, const std::string& prefix,
                              std::string& defines) {
  std::string sql = text, sets;
  for (std::size_t n = params.size(); n >= 1; --n) {
    const std::string from = fmt::format("${}", n), to = fmt::format(":{}{}", prefix, n);
    for (auto pos = sql.find(from); pos != std::string::npos; pos = sql.find(from, pos + to.size()))
      sql.replace(pos, from.size(), to);
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const bool number = params[i]->find_first_not_of("0123456789") == std::string::npos;
    if (number)
      sets += fmt::format("\\set {}{} {}\n", prefix, i + 1, *params[i]);
    else
      defines += fmt::format(" -D {}{}={}", prefix, i + 1, *params[i]);
  }
  return sets + sql + ";\n";
}

// The page's one statement (review, limited) as a pgbench script.
void print_pgbench_script(const impl_optimized::Listings::Statement& st, const std::string& schema) {
  std::string defines;
  const std::string body = pgbench_statement(st.sql, st.params, "p", defines);
  fmt::print("-- {} — run with: PGOPTIONS='-c search_path={}' pgbench -M prepared -n -f SCRIPT{}\n", st.name, schema,
             defines);
  fmt::print("{}", body);
}

// The page's per-kind statements (pipelined) inside one \startpipeline … \endpipeline: what the
// pipelined implementation sends, one Sync and one wait for all the answers.
void print_pgbench_pipeline(const std::vector<db::PreparedCall>& calls, const std::string& schema) {
  std::string defines, body;
  for (std::size_t k = 0; k < calls.size(); ++k)
    body += pgbench_statement(calls[k].sql, calls[k].params, fmt::format("k{}p", k), defines);
  fmt::print("-- {} statements in one pipeline ({} …) — run with: PGOPTIONS='-c search_path={}' pgbench -M prepared "
             "-n -f SCRIPT{}\n",
             calls.size(), calls.empty() ? std::string() : calls.front().name, schema, defines);
  fmt::print("\\startpipeline\n{}\\endpipeline\n", body);
}

}  // namespace

int show(const ShowArgs& args) {
  const PageArgs& a = args.page;
  PageRequest page{a.page, a.size, std::nullopt};
  if (!args.after.empty()) page.after = http::decode_cursor(args.after, a.listing, a.user_id());
  page.validate();
  const auto scripts = harness::listing_script_implementations();
  if (args.pgbench_script && std::find(scripts.begin(), scripts.end(), a.impl) == scripts.end())
    throw UsageError("--pgbench-script: the " + a.impl + " implementation's statements do not run on one session " +
                     "as one script (use " + one_of(scripts) + ")");

  auto dataset = ensure_dataset(args.dataset);
  auto session = harness::open_listing_session(dataset.target.dsn(), args.dataset.schema, a.impl);
  db::Connection& connection = *session.db;
  if (page.after && !session.listings->serves_keyset())
    throw UsageError("--after: the " + a.impl + " implementation serves numbered pages only (use --page, or --impl " +
                     one_of(harness::listing_keyset_implementations()) + ")");
  if (args.pgbench_script && a.impl == "pipelined") {
    print_pgbench_pipeline(impl_optimized::PerKindListings::statements(a.listing, a.user_id(), page), args.dataset.schema);
    return 0;
  }
  if (args.pgbench_script) {
    const impl_optimized::Listings listings(connection, a.impl == "review" ? impl_optimized::Strategy::union_all
                                                                        : impl_optimized::Strategy::limited_branches);
    print_pgbench_script(listings.statement(a.listing, a.user_id(), page), args.dataset.schema);
    return 0;
  }
  auto& listings = session.listings;
  std::optional<std::uint64_t> peak;
  ListingPage result;
  {
    const harness::ExactHeap exact;  // show times nothing: the heap can be counted exactly
    harness::HeapMeter heap;
    heap.start();
    result = listings->list(a.listing, a.user_id(), page);
    peak = heap.peak();
  }
  const auto stats = connection.stats();
  const std::optional<std::string> next =
      result.next ? std::optional<std::string>(http::encode_cursor(a.listing, a.user_id(), *result.next)) : std::nullopt;

  if (args.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : result.rows) rows.push_back(http::certificate_json(r));
    nlohmann::json out = {{"listing", to_string(a.listing)},
                          {"impl", a.impl},
                          {"rows", rows},
                          {"stats",
                           {{"round_trips", stats.round_trips},
                            {"statements", stats.statements},
                            {"rows_received", stats.rows_received},
                            {"bytes_received", stats.bytes_received},
                            {"peak_heap_bytes", peak ? nlohmann::json(*peak) : nlohmann::json()}}},
                          {"next_cursor", next ? nlohmann::json(*next) : nlohmann::json()}};
    fmt::print("{}\n", out.dump());
    return 0;
  }
  fmt::print("{} ({}), {} row(s)\n", to_string(a.listing), a.impl, result.rows.size());
  for (const auto& r : result.rows) {
    std::string extra;
    if (r.spa_name) extra = fmt::format("  spa: {}  template: {}", *r.spa_name, r.template_name.value_or(""));
    if (r.user_email) extra = fmt::format("  owner: {} <{}>", r.user_full_name.value_or(""), *r.user_email);
    fmt::print("  {:<27} {:<17} {:>8}  {:<22}{}\n", r.generated_at, r.kind, r.id, r.recipient_name, extra);
  }
  fmt::print("cost: {} statement(s) in {} round trip(s), {} row(s) and {} received, peak heap {}\n", stats.statements,
             stats.round_trips, thousands(stats.rows_received), human_bytes(static_cast<double>(stats.bytes_received)),
             peak ? human_bytes(static_cast<double>(*peak)) : std::string("not measured (sanitizer build)"));
  if (next) fmt::print("next page: --after {}\n", *next);
  return 0;
}

Command add_show(CLI::App& app) {
  auto st = std::make_shared<PageCommandOptions<ShowArgs>>();
  auto* sub = app.add_subcommand("show", "one page of one listing from one implementation, and what it cost");
  auto* page = st->page.add(*sub, st->args.page);
  sub->add_option("--after", st->args.after, "keyset page: the rows after this cursor (next_cursor of the previous page)")
      ->type_name("CURSOR")
      ->excludes(page);
  sub->add_flag("--json", st->args.json, "print one JSON object: rows, stats, next_cursor");
  sub->add_flag("--pgbench-script", st->args.pgbench_script,
                "print the page's statement as a pgbench script (review, limited, cached; pipelined: its statements "
                "inside \\startpipeline … \\endpipeline), to compare with pgbench");
  st->dataset.add(*sub, st->args.dataset);
  return {sub, [st] {
            st->page.finish();
            st->dataset.finish();
            return show(st->args);
          }};
}

}  // namespace certbench::cli
