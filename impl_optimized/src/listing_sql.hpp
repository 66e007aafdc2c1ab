#pragma once
// The SQL pieces the one-statement listings (listing.cpp) and the per-kind ones
// (per_kind_listing.cpp) share, so that a page asks for the same rows either way. Internal.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/listing.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/impl_common/certificate_rows.hpp"

namespace certbench::impl_optimized::detail {

constexpr std::string_view kColumns =
    "id, certificate_number, generated_at, recipient_name, is_public, created_by, spa_id, "
    "template_id, file_path, image_path";
constexpr std::string_view kOuterColumns =
    "p.kind, p.id, p.certificate_number, p.generated_at, p.recipient_name, p.is_public, "
    "p.created_by, p.spa_id, p.template_id, p.file_path, p.image_path";
// The listing order. Each branch's kind is a literal in the "C" collation, so the database orders
// kinds as the application does whatever the server's default collation.
constexpr std::string_view kOrder = "generated_at DESC, kind, id DESC";
constexpr std::string_view kOuterOrder = "p.generated_at DESC, p.kind, p.id DESC";

// Numbered parameters, added as the statement is written.
struct Params {
  std::vector<db::Param> values;
  std::string add(std::string value) {
    values.emplace_back(std::move(value));
    return "$" + std::to_string(values.size());
  }
};

// How a page's bounds (LIMIT, OFFSET) enter a statement. Written in as numbers, the statement is
// planned once: its generic plan costs exactly the page asked for. Bound as parameters, PostgreSQL
// cannot cost a generic plan well (it assumes 10% of the rows) and plans a custom one again on
// every execution. The owner's listing binds them all the same: with the owner a parameter, a
// generic plan with the bounds written in costs every owner as the average one (a few rows a
// table) and takes a busy owner's rows through a bitmap scan and a sort (the busiest owner at 100k
// certificates, warm: 17.8 ms against 0.2 ms); with the bounds bound too, its generic plan stays an
// ordered index scan, right for every owner (tests/test_listing_plans.cpp holds both to it).
inline bool bounds_written_in(Listing listing) { return listing != Listing::user_certificates; }

// A page bound: written in, or bound as the next parameter.
inline std::string bound(Params& params, std::uint64_t value, bool written_in) {
  return written_in ? std::to_string(value) : params.add(std::to_string(value));
}

inline std::string filter_of(Listing listing, std::int64_t user_id, Params& params) {
  switch (listing) {
    case Listing::public_certificates:
    case Listing::certificates_endpoint: return "is_public";
    case Listing::user_certificates: return "created_by = " + params.add(std::to_string(user_id));
    case Listing::all_certificates_with_users: return "";
  }
  return "";
}

// What a listing shows beyond the certificate, joined once the page is known. LEFT JOIN: a
// certificate whose spa, template or owner were missing would still be listed, as the naive
// per-row lookups list it (with no name), so the two never disagree on a page.
inline std::string joins_of(Listing listing) {
  switch (listing) {
    case Listing::certificates_endpoint:
      return " LEFT JOIN spas s ON s.id = p.spa_id LEFT JOIN certificate_templates t ON t.id = p.template_id";
    case Listing::all_certificates_with_users: return " LEFT JOIN users u ON u.id = p.created_by";
    default: return "";
  }
}

inline std::string extra_columns_of(Listing listing) {
  switch (listing) {
    case Listing::certificates_endpoint: return ", s.name AS spa_name, t.name AS template_name";
    case Listing::all_certificates_with_users: return ", u.email AS user_email, u.full_name AS user_full_name";
    default: return "";
  }
}

// Rows of one kind after a keyset position, in listing order (generated_at DESC, kind, id DESC):
// for this table the kind is fixed, so the condition is one of three simple, indexable ones.
inline std::string after_condition(const CertificateKind& kind, const ListingPosition& after, Params& params) {
  const std::string at = params.add(impl_common::iso8601(after.generated_at_us));
  if (kind.name < after.kind) return "generated_at < " + at;
  if (kind.name > after.kind) return "generated_at <= " + at;
  return "(generated_at, id) < (" + at + ", " + params.add(std::to_string(after.id)) + ")";
}

inline std::string where_clause(std::string_view filter, std::string_view keyset) {
  if (filter.empty() && keyset.empty()) return "";
  if (filter.empty()) return " WHERE " + std::string(keyset);
  if (keyset.empty()) return " WHERE " + std::string(filter);
  return " WHERE " + std::string(filter) + " AND " + std::string(keyset);
}

}  // namespace certbench::impl_optimized::detail
