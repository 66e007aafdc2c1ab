#pragma once
// The registry of implementations: every name a user or a benchmark can pick, and how to make it.
#include <memory>
#include <span>
#include <string_view>

#include "certbench/core/listing.hpp"
#include "certbench/db/connection.hpp"

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

}  // namespace certbench::harness
