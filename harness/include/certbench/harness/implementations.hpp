#pragma once
// The registry of implementations: every name a user or a benchmark can pick, and how to make it.
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "certbench/core/file_saves.hpp"
#include "certbench/core/listing.hpp"
#include "certbench/db/connection.hpp"

namespace boost::asio {
class io_context;
}

namespace certbench {
class FileSavePaths;  // impl_common/file_save_paths.hpp: include it to use what make_file_saves returns
}

namespace certbench::harness {

/// "naive", "review" (the review's fix taken literally), "optimized" (the best measured).
std::span<const std::string_view> listing_implementations() noexcept;

/// The listing implementation called `name` on `db` (already set up for the dataset); throws
/// UsageError for an unknown name.
std::unique_ptr<ListingPaths> make_listings(std::string_view name, db::Connection& db);

/// A session of its own on the dataset in `schema`, and the implementation `impl` on it.
struct ListingSession {
  std::unique_ptr<db::Connection> db;
  std::unique_ptr<ListingPaths> listings;
};
ListingSession open_listing_session(const std::string& dsn, std::string_view schema, std::string_view impl);

/// "naive" (on the loop), "optimized" (a thread pool, the review's fix), "io_uring".
std::span<const std::string_view> file_save_implementations() noexcept;

/// The file-save implementation called `name`, saving into `dir`, its coroutines run on `io`.
/// Throws UsageError for an unknown name or invalid options, EnvironmentError when io_uring is
/// not available.
std::unique_ptr<FileSavePaths> make_file_saves(std::string_view name, boost::asio::io_context& io,
                                               std::filesystem::path dir, SaveOptions options);

}  // namespace certbench::harness
