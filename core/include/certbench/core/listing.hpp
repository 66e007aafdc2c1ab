#pragma once
// The review's listing functions (its problems 1, 2 and 5): the domain types and the one
// interface that the naive and the optimized implementations both satisfy.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certbench {

/// Which listing: the review's function names, plus the endpoint of its routers.py.
enum class Listing {
  public_certificates,              ///< get_public_certificates(page)
  user_certificates,                ///< get_user_certificates(user_id, page)
  all_certificates_with_users,      ///< get_all_certificates_with_users(page): the admin listing
  certificates_endpoint,            ///< the public listing as the endpoint shows it: with spa and template names
};

std::string_view to_string(Listing listing) noexcept;

/// Every listing, in the order runs, loads and benchmarks report them.
inline constexpr std::array<Listing, 4> kListings{Listing::public_certificates, Listing::user_certificates,
                                                  Listing::all_certificates_with_users,
                                                  Listing::certificates_endpoint};

/// One certificate as a listing shows it. Every listing orders by generated_at descending, then
/// kind ascending, then id descending: a total order (ids are unique within a kind).
struct CertificateRow {
  std::string kind;                  ///< e.g. "spa_therapist"
  std::int64_t id = 0;
  std::string certificate_number;
  std::int64_t generated_at_us = 0;  ///< microseconds since 1970-01-01T00:00:00Z
  std::string generated_at;          ///< ISO 8601, UTC, e.g. "2023-05-17T13:45:12.123456Z"
  std::string recipient_name;
  bool is_public = false;
  std::int64_t created_by = 0;
  std::int64_t spa_id = 0;
  std::int64_t template_id = 0;
  std::string file_path;
  std::optional<std::string> image_path;
  std::optional<std::string> spa_name;         ///< certificates_endpoint only
  std::optional<std::string> template_name;    ///< certificates_endpoint only
  std::optional<std::string> user_email;       ///< all_certificates_with_users only
  std::optional<std::string> user_full_name;   ///< all_certificates_with_users only

  friend bool operator==(const CertificateRow&, const CertificateRow&) = default;
};

/// True if `a` comes before `b` in the listing order.
bool listed_before(const CertificateRow& a, const CertificateRow& b) noexcept;

/// The position of a row in the listing order: what a keyset cursor points after.
struct ListingPosition {
  std::int64_t generated_at_us = 0;
  std::string kind;
  std::int64_t id = 0;
  friend bool operator==(const ListingPosition&, const ListingPosition&) = default;
};

inline constexpr std::int64_t kMaxPageSize = 1000;

/// A page: by number (1-based) and size (1..kMaxPageSize), or by keyset — the rows after
/// `after`, `size` of them. Throws InputError for page < 1 or a size out of range.
struct PageRequest {
  std::int64_t page = 1;
  std::int64_t size = 20;
  std::optional<ListingPosition> after;
  void validate() const;
  /// Rows before this numbered page, (page - 1) * size, saturating instead of overflowing.
  [[nodiscard]] std::uint64_t offset() const noexcept;
};

struct ListingPage {
  std::vector<CertificateRow> rows;
  /// Where the next page starts, when this one is full (there may be more).
  std::optional<ListingPosition> next;
  friend bool operator==(const ListingPage&, const ListingPage&) = default;
};

/// Completes a page: `next` is the position of its last row when the page is full.
ListingPage make_page(std::vector<CertificateRow> rows, std::int64_t size);

/// The listing functions. Requests are checked here, the same way for every implementation (bad
/// page or size, a negative user id, a keyset page where the implementation serves none:
/// InputError); implementations provide the do_ functions. One database session each; not
/// thread-safe.
class ListingFunctions {
 public:
  virtual ~ListingFunctions() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;  ///< "naive", "limited", …
  /// False if this implementation serves numbered pages only.
  [[nodiscard]] virtual bool serves_keyset() const noexcept = 0;

  ListingPage public_certificates(const PageRequest& page);
  /// An unknown user has an empty listing.
  ListingPage user_certificates(std::int64_t user_id, const PageRequest& page);
  ListingPage all_certificates_with_users(const PageRequest& page);
  ListingPage certificates_endpoint(const PageRequest& page);

  /// Dispatch by Listing (user_id is used by user_certificates only).
  ListingPage list(Listing listing, std::int64_t user_id, const PageRequest& page);

 protected:
  virtual ListingPage do_public_certificates(const PageRequest& page) = 0;
  virtual ListingPage do_user_certificates(std::int64_t user_id, const PageRequest& page) = 0;
  virtual ListingPage do_all_certificates_with_users(const PageRequest& page) = 0;
  virtual ListingPage do_certificates_endpoint(const PageRequest& page) = 0;

 private:
  void check(const PageRequest& page) const;
};

}  // namespace certbench
