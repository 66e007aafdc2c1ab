#include "certbench/harness/implementations.hpp"

#include <array>
#include <string>

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_naive/listing.hpp"
#include "certbench/impl_optimized/listing.hpp"

namespace certbench::harness {

std::span<const std::string_view> listing_implementations() noexcept {
  static constexpr std::array<std::string_view, 3> names{"naive", "review", "optimized"};
  return names;
}

std::unique_ptr<ListingPaths> make_listings(std::string_view name, db::Connection& db) {
  if (name == "naive") return std::make_unique<naive::Listings>(db);
  if (name == "review") return std::make_unique<optimized::Listings>(db, optimized::Strategy::union_all);
  if (name == "optimized") return std::make_unique<optimized::Listings>(db, optimized::Strategy::per_branch_limit);
  throw UsageError("--impl must be naive, review or optimized (got '" + std::string(name) + "')");
}

ListingSession open_listing_session(const std::string& dsn, std::string_view schema, std::string_view impl) {
  ListingSession s;
  s.db = std::make_unique<db::Connection>(dsn);
  impl::use_dataset(*s.db, schema);
  s.listings = make_listings(impl, *s.db);
  return s;
}

}  // namespace certbench::harness
