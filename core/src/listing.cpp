#include "certbench/core/listing.hpp"

#include <climits>
#include <cstdint>
#include <string>

#include "certbench/core/errors.hpp"

namespace certbench {

std::string_view to_string(Listing listing) noexcept {
  switch (listing) {
    case Listing::public_certificates: return "get_public_certificates";
    case Listing::user_certificates: return "get_user_certificates";
    case Listing::all_certificates_with_users: return "get_all_certificates_with_users";
    case Listing::certificates_endpoint: return "certificates_endpoint";
  }
  return "?";
}

bool listed_before(const CertificateRow& a, const CertificateRow& b) noexcept {
  if (a.generated_at_us != b.generated_at_us) return a.generated_at_us > b.generated_at_us;
  if (a.kind != b.kind) return a.kind < b.kind;
  return a.id > b.id;
}

void PageRequest::validate() const {
  if (size < 1 || size > kMaxPageSize)
    throw InputError("page size must be between 1 and " + std::to_string(kMaxPageSize) + " (got " +
                     std::to_string(size) + ")");
  if (!after && page < 1) throw InputError("page numbers start at 1 (got " + std::to_string(page) + ")");
}

std::uint64_t PageRequest::offset() const noexcept {
  if (page <= 1 || size <= 0) return 0;
  const auto p = static_cast<std::uint64_t>(page - 1), n = static_cast<std::uint64_t>(size);
  return p > UINT64_MAX / n ? UINT64_MAX : p * n;
}

ListingPage make_page(std::vector<CertificateRow> rows, std::int64_t size) {
  ListingPage out;
  if (!rows.empty() && static_cast<std::int64_t>(rows.size()) == size)
    out.next = ListingPosition{rows.back().generated_at_us, rows.back().kind, rows.back().id};
  out.rows = std::move(rows);
  return out;
}

void ListingFunctions::check(const PageRequest& page) const {
  page.validate();
  if (page.after && !serves_keyset())
    throw InputError("the " + std::string(name()) +
                     " implementation serves numbered pages only: ask for a page number, or use the limited "
                     "implementation", "keyset_review");
}

ListingPage ListingFunctions::public_certificates(const PageRequest& page) {
  check(page);
  return do_public_certificates(page);
}

ListingPage ListingFunctions::user_certificates(std::int64_t user_id, const PageRequest& page) {
  check(page);
  if (user_id < 0) throw InputError("user ids are not negative (got " + std::to_string(user_id) + ")");
  return do_user_certificates(user_id, page);
}

ListingPage ListingFunctions::all_certificates_with_users(const PageRequest& page) {
  check(page);
  return do_all_certificates_with_users(page);
}

ListingPage ListingFunctions::certificates_endpoint(const PageRequest& page) {
  check(page);
  return do_certificates_endpoint(page);
}

ListingPage ListingFunctions::list(Listing listing, std::int64_t user_id, const PageRequest& page) {
  switch (listing) {
    case Listing::public_certificates: return public_certificates(page);
    case Listing::user_certificates: return user_certificates(user_id, page);
    case Listing::all_certificates_with_users: return all_certificates_with_users(page);
    case Listing::certificates_endpoint: return certificates_endpoint(page);
  }
  throw std::logic_error("unknown listing");
}

}  // namespace certbench
