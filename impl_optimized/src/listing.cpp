#include "certbench/impl_optimized/listing.hpp"

#include <fmt/format.h>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/sys/cpu_time.hpp"
#include "listing_sql.hpp"

namespace certbench::impl_optimized {
using namespace detail;

namespace {

// Which side of each table a keyset position falls on: part of the statement's name, because the
// statement's text depends on it.
std::string keyset_shape(const ListingPosition& after) {
  std::string shape;
  for (const auto& kind : certificate_kinds())
    shape += kind.name < after.kind ? '<' : kind.name > after.kind ? '>' : '=';
  return shape;
}

}  // namespace

Listings::Statement Listings::statement(certbench::Listing listing, std::int64_t user_id,
                                      const PageRequest& page) const {
  if (page.after && strategy_ == Strategy::union_all)
    throw InputError("the review implementation serves numbered pages only: ask for a page number, or use the optimized "
                     "implementation", "keyset_review");
  Statement st;
  Params params;
  const std::string filter = filter_of(listing, user_id, params);
  const std::string joins = joins_of(listing), extra = extra_columns_of(listing);
  const bool keyset = page.after.has_value();
  st.name = fmt::format("{}_{}_{}", to_string(listing), name(), keyset ? "keyset_" + keyset_shape(*page.after) : "offset");

  if (strategy_ == Strategy::union_all) {
    std::string branches;
    for (const auto& kind : certificate_kinds())
      branches += fmt::format("{}SELECT '{}'::text COLLATE \"C\" AS kind, {} FROM {}{}", branches.empty() ? "" : " UNION ALL ",
                              kind.name, kColumns, kind.table, where_clause(filter, ""));
    const std::string limit = params.add(std::to_string(page.size));
    const std::string offset = params.add(std::to_string(page.offset()));
    st.sql = fmt::format("SELECT {}{} FROM ({}) p{} ORDER BY {} LIMIT {} OFFSET {}", kOuterColumns, extra,
                         branches, joins, kOuterOrder, limit, offset);
  } else {
    // One statement per page bound where the bounds are written in (listing_sql.hpp says when),
    // named by them: Connection keeps the most recently used prepared.
    const bool written_in = bounds_written_in(listing);
    // Each branch can contribute at most offset + size rows to the page.
    const std::string branch_limit = bound(
        params, keyset ? static_cast<std::uint64_t>(page.size) : page.offset() + static_cast<std::uint64_t>(page.size),
        written_in);
    std::string branches;
    for (const auto& kind : certificate_kinds()) {
      const std::string after = keyset ? after_condition(kind, *page.after, params) : "";
      branches += fmt::format("{}(SELECT '{}'::text COLLATE \"C\" AS kind, {} FROM {}{} ORDER BY generated_at DESC, id DESC LIMIT {})",
                              branches.empty() ? "" : " UNION ALL ", kind.name, kColumns, kind.table,
                              where_clause(filter, after), branch_limit);
    }
    const auto size = static_cast<std::uint64_t>(page.size);
    const std::string limit = bound(params, size, written_in);
    const std::string union_page =
        keyset ? fmt::format("{} ORDER BY {} LIMIT {}", branches, kOrder, limit)
               : fmt::format("{} ORDER BY {} LIMIT {} OFFSET {}", branches, kOrder, limit,
                             bound(params, page.offset(), written_in));
    if (written_in) st.name += keyset ? fmt::format("_n{}", size) : fmt::format("_n{}_o{}", size, page.offset());
    st.sql = joins.empty() ? union_page
                           : fmt::format("SELECT {}{} FROM ({}) p{} ORDER BY {}", kOuterColumns, extra,
                                         union_page, joins, kOuterOrder);
  }
  st.params = std::move(params.values);
  return st;
}

ListingPage Listings::run(certbench::Listing listing, std::int64_t user_id, const PageRequest& page) {
  // No page starts past 2^62 rows: answer without asking the database (the naive one agrees).
  if (!page.after && page.offset() > (std::uint64_t{1} << 62)) return make_page({}, page.size);
  const auto st = statement(listing, user_id, page);
  const auto r = db_.exec_prepared(st.name, st.sql, st.params);
  std::vector<CertificateRow> rows;
  {
    const sys::CpuSpan decoding(sys::CpuPart::decode);
    rows.reserve(r.rows());
    const impl_common::CertificateColumns columns(r);
    for (std::size_t i = 0; i < r.rows(); ++i) rows.push_back(impl_common::decode_certificate(r, columns, i));
  }
  return make_page(std::move(rows), page.size);
}

ListingPage Listings::do_public_certificates(const PageRequest& page) {
  return run(certbench::Listing::public_certificates, 0, page);
}
ListingPage Listings::do_user_certificates(std::int64_t user_id, const PageRequest& page) {
  return run(certbench::Listing::user_certificates, user_id, page);
}
ListingPage Listings::do_all_certificates_with_users(const PageRequest& page) {
  return run(certbench::Listing::all_certificates_with_users, 0, page);
}
ListingPage Listings::do_certificates_endpoint(const PageRequest& page) {
  if (names_ == nullptr) return run(certbench::Listing::certificates_endpoint, 0, page);
  auto listing = run(certbench::Listing::public_certificates, 0, page);
  for (auto& row : listing.rows) {
    if (auto spa = names_->spa_by_id(row.spa_id)) row.spa_name = spa->name;
    if (auto tpl = names_->template_by_id(row.template_id)) row.template_name = tpl->name;
  }
  return listing;
}

}  // namespace certbench::impl_optimized
