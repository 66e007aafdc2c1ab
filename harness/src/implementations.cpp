#include "certbench/harness/implementations.hpp"

#include <array>
#include <string>

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_naive/file_saves.hpp"
#include "certbench/impl_naive/listing.hpp"
#include "certbench/impl_optimized/file_saves.hpp"
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

std::span<const std::string_view> file_save_implementations() noexcept {
  static constexpr std::array<std::string_view, 3> names{"naive", "optimized", "io_uring"};
  return names;
}

std::unique_ptr<FileSavePaths> make_file_saves(std::string_view name, boost::asio::io_context& io,
                                               std::filesystem::path dir, SaveOptions options) {
  if (name == "naive") return std::make_unique<naive::FileSaves>(std::move(dir), std::move(options));
  if (name == "optimized")
    return std::make_unique<optimized::ThreadPoolFileSaves>(std::move(dir), std::move(options));
  if (name == "io_uring")
    return std::make_unique<optimized::IoUringFileSaves>(io, std::move(dir), std::move(options));
  throw UsageError("--impl must be naive, optimized or io_uring (got '" + std::string(name) + "')");
}

}  // namespace certbench::harness
