#include "certbench/impl_optimized/per_kind_listing.hpp"

#include <fmt/format.h>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/sys/cpu_time.hpp"
#include "listing_sql.hpp"

namespace certbench::impl_optimized {

using namespace detail;

namespace {

// Which side of this kind a keyset position falls on: part of the statement's name, because the
// statement's text depends on it.
std::string_view keyset_side(const CertificateKind& kind, const ListingPosition& after) {
  return kind.name < after.kind ? "after_lt" : kind.name > after.kind ? "after_gt" : "after_eq";
}

// One kind's rows in listing order, keyed for the merge without decoding them all: only the
// page's rows are decoded.
struct KindList {
  const db::Result* result;
  std::size_t kind;  // index in certificate_kinds(): the kinds are sorted by name
  std::size_t generated_at, id;
  std::size_t next = 0;
  std::int64_t at = 0, row_id = 0;  // the key of row `next`
  bool load() {
    if (next >= result->rows()) return false;
    at = impl_common::parse_timestamp_us(result->text(next, generated_at));
    row_id = result->int64(next, id);
    return true;
  }
};

// True if `a`'s head comes before `b`'s in the listing order (generated_at descending, kind
// ascending, id descending).
bool head_before(const KindList& a, const KindList& b) {
  if (a.at != b.at) return a.at > b.at;
  if (a.kind != b.kind) return a.kind < b.kind;
  return a.row_id > b.row_id;
}

// The k-way merge of the kinds' lists into the page: the head of every kind's list, the first in
// listing order taken each time; only the page's rows are decoded.
std::vector<CertificateRow> merge_page(const std::vector<db::Result>& results, const PageRequest& page) {
  std::vector<KindList> lists;
  lists.reserve(results.size());
  for (std::size_t k = 0; k < results.size(); ++k) {
    KindList list{&results[k], k, results[k].column("generated_at"), results[k].column("id")};
    if (list.load()) lists.push_back(list);
  }
  std::uint64_t skip = page.after ? 0 : page.offset();
  std::vector<CertificateRow> rows;
  rows.reserve(static_cast<std::size_t>(page.size));
  std::vector<std::optional<impl_common::CertificateColumns>> columns(results.size());
  while (!lists.empty() && rows.size() < static_cast<std::size_t>(page.size)) {
    std::size_t first = 0;
    for (std::size_t i = 1; i < lists.size(); ++i)
      if (head_before(lists[i], lists[first])) first = i;
    auto& list = lists[first];
    if (skip > 0) {
      --skip;
    } else {
      auto& c = columns[list.kind];
      if (!c) c.emplace(*list.result);
      rows.push_back(impl_common::decode_certificate(*list.result, *c, list.next));
    }
    ++list.next;
    if (!list.load()) lists.erase(lists.begin() + static_cast<std::ptrdiff_t>(first));
  }
  return rows;
}

}  // namespace

std::size_t PerKindListings::default_sessions() noexcept { return certificate_kinds().size(); }

PerKindListings::PerKindListings(db::Connection& db, Fanout fanout, const std::string& dsn, std::string_view schema,
                                 std::size_t sessions)
    : db_(db), fanout_(fanout) {
  all_.push_back(&db_);
  if (fanout_ != Fanout::sessions) return;
  if (sessions == 0) throw UsageError("the parallel implementation needs at least one session", "sessions");
  for (std::size_t i = 1; i < sessions; ++i) {
    extra_.push_back(std::make_unique<db::Connection>(dsn));
    impl_common::use_dataset(*extra_.back(), schema);
    all_.push_back(extra_.back().get());
  }
}

PerKindListings::~PerKindListings() = default;

std::vector<db::PreparedCall> PerKindListings::statements(Listing listing, std::int64_t user_id,
                                                          const PageRequest& page) {
  const bool keyset = page.after.has_value();
  const std::string joins = joins_of(listing), extra = extra_columns_of(listing);
  std::vector<db::PreparedCall> out;
  const auto kinds = certificate_kinds();
  for (std::size_t k = 0; k < kinds.size(); ++k) {
    const auto& kind = kinds[k];
    Params params;
    const std::string filter = filter_of(listing, user_id, params);
    const std::string after = keyset ? after_condition(kind, *page.after, params) : "";
    // The rows of this kind the page can need: all of the page may come from one kind. Written in
    // or bound as listing_sql.hpp says.
    const bool written_in = bounds_written_in(listing);
    const std::uint64_t rows =
        keyset ? static_cast<std::uint64_t>(page.size) : page.offset() + static_cast<std::uint64_t>(page.size);
    const std::string limit = bound(params, rows, written_in);
    std::string sql = fmt::format(
        "SELECT '{}'::text COLLATE \"C\" AS kind, {} FROM {}{} ORDER BY generated_at DESC, id DESC LIMIT {}", kind.name,
        kColumns, kind.table, where_clause(filter, after), limit);
    if (!joins.empty())
      sql = fmt::format("SELECT {}{} FROM ({}) p{} ORDER BY p.generated_at DESC, p.id DESC", kOuterColumns, extra, sql,
                        joins);
    out.push_back({fmt::format("{}_kind{}_{}{}", to_string(listing), k, keyset ? keyset_side(kind, *page.after) : "offset",
                               written_in ? fmt::format("_n{}", rows) : ""),
                   std::move(sql), std::move(params.values)});
  }
  return out;
}

ListingPage PerKindListings::run(Listing listing, std::int64_t user_id, const PageRequest& page) {
  // No page starts past 2^62 rows: answer without asking the database (as the others do).
  if (!page.after && page.offset() > (std::uint64_t{1} << 62)) return make_page({}, page.size);
  const auto calls = statements(listing, user_id, page);
  const auto results = fanout_ == Fanout::pipeline ? db_.exec_pipeline(calls) : db_.exec_concurrently(all_, calls);

  // The merge's CPU is decoding (each kind's sort keys, the page's rows), marked as the others mark theirs.
  std::vector<CertificateRow> rows;
  {
    const sys::CpuSpan decoding(sys::CpuPart::decode);
    rows = merge_page(results, page);
  }
  return make_page(std::move(rows), page.size);
}

ListingPage PerKindListings::do_public_certificates(const PageRequest& page) {
  return run(Listing::public_certificates, 0, page);
}
ListingPage PerKindListings::do_user_certificates(std::int64_t user_id, const PageRequest& page) {
  return run(Listing::user_certificates, user_id, page);
}
ListingPage PerKindListings::do_all_certificates_with_users(const PageRequest& page) {
  return run(Listing::all_certificates_with_users, 0, page);
}
ListingPage PerKindListings::do_certificates_endpoint(const PageRequest& page) {
  return run(Listing::certificates_endpoint, 0, page);
}

}  // namespace certbench::impl_optimized
