#include "certbench/impl_naive/listing.hpp"

#include <algorithm>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/sys/cpu_time.hpp"

namespace certbench::impl_naive {
namespace {

// A certificate as the ORM held it: every column, the payload included.
struct CertificateModel {
  CertificateRow row;
  std::optional<std::string> recipient_email;
  std::string payload;
};

// Problem 1 of the review: one query per certificate type, in a loop. Problem 2: every matching
// row of every type in memory. Each statement is prepared once per session, under a name of its
// own (table and filter), as the backend's async driver prepares what it sends: naive and
// optimized share one execution and decoding path, and differ only in what they ask for.
std::vector<CertificateModel> load_every(db::Connection& db, std::string_view filter_name, std::string_view where,
                                         const std::vector<db::Param>& params) {
  std::vector<CertificateModel> all;
  for (const auto& kind : certificate_kinds()) {
    const auto r = db.exec_prepared("naive_" + std::string(kind.table) + "_" + std::string(filter_name),
                                    "SELECT * FROM " + std::string(kind.table) + std::string(where), params);
    const sys::CpuSpan decoding(sys::CpuPart::decode);
    const impl_common::CertificateColumns columns(r);
    const auto email = r.column("recipient_email"), payload = r.column("payload");
    for (std::size_t i = 0; i < r.rows(); ++i) {
      auto e = r.get(i, email);
      all.push_back({impl_common::decode_certificate(r, columns, i, kind.name),
                     e ? std::optional<std::string>(*e) : std::nullopt, std::string(r.text(i, payload))});
    }
  }
  return all;
}

// ... then sorted and sliced in the application.
std::vector<CertificateRow> sort_and_slice(std::vector<CertificateModel> all, const PageRequest& page) {
  std::sort(all.begin(), all.end(),
            [](const CertificateModel& a, const CertificateModel& b) { return listed_before(a.row, b.row); });
  std::vector<CertificateRow> rows;
  const auto first = std::min<std::uint64_t>(page.offset(), all.size());
  const auto last = std::min<std::uint64_t>(first + static_cast<std::uint64_t>(page.size), all.size());
  for (auto i = first; i < last; ++i) rows.push_back(std::move(all[i].row));
  return rows;
}

}  // namespace

ListingPage Listings::do_public_certificates(const PageRequest& page) {
  return make_page(sort_and_slice(load_every(db_, "public", " WHERE is_public", {}), page), page.size);
}

ListingPage Listings::do_user_certificates(std::int64_t user_id, const PageRequest& page) {
  return make_page(sort_and_slice(load_every(db_, "by_owner", " WHERE created_by = $1", {std::to_string(user_id)}), page),
                   page.size);
}

ListingPage Listings::do_all_certificates_with_users(const PageRequest& page) {
  auto rows = sort_and_slice(load_every(db_, "all", "", {}), page);
  // The N+1: each certificate shown looks up its owner.
  for (auto& row : rows) {
    const auto u = db_.exec_prepared("naive_owner_by_id", "SELECT email, full_name FROM users WHERE id = $1",
                                     {std::to_string(row.created_by)});
    if (u.rows() == 1) {
      row.user_email = std::string(u.text(0, 0));
      row.user_full_name = std::string(u.text(0, 1));
    }
  }
  return make_page(std::move(rows), page.size);
}

ListingPage Listings::do_certificates_endpoint(const PageRequest& page) {
  auto listing = do_public_certificates(page);
  // Problem 5: a spa query and a template query for every certificate shown.
  for (auto& row : listing.rows) {
    const auto spa = db_.exec_prepared("naive_spa_name_by_id", "SELECT name FROM spas WHERE id = $1",
                                       {std::to_string(row.spa_id)});
    if (spa.rows() == 1) row.spa_name = std::string(spa.text(0, 0));
    const auto tpl = db_.exec_prepared("naive_template_name_by_id", "SELECT name FROM certificate_templates WHERE id = $1",
                                       {std::to_string(row.template_id)});
    if (tpl.rows() == 1) row.template_name = std::string(tpl.text(0, 0));
  }
  return listing;
}

}  // namespace certbench::impl_naive
