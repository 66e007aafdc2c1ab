#pragma once
// The registry of implementations: every name a user or a benchmark can pick, and how to make it.
#include <chrono>
#include <memory>
#include <span>
#include <string_view>

#include "certbench/core/listing.hpp"
#include "certbench/core/certificate_data.hpp"
#include "certbench/core/reference_data.hpp"
#include "certbench/redis/client.hpp"
#include "certbench/db/connection.hpp"

namespace certbench::harness {

/// "naive", "review" (the review's fix taken literally), "optimized" (the best measured),
/// "cached" (optimized, with the endpoint's spa and template names from an in-process cache).
std::span<const std::string_view> listing_implementations() noexcept;

/// The implementations whose answer to `listing` differs: "cached" differs from "optimized" only
/// at the endpoint, so runs and benchmarks measure it there only.
std::span<const std::string_view> listing_implementations(Listing listing) noexcept;

/// A session of its own on the dataset in `schema`, and the implementation `impl` on it (throws
/// UsageError for an unknown name). `reference` is the cache of "cached", null otherwise.
struct ListingSession {
  std::unique_ptr<db::Connection> db;
  std::unique_ptr<ReferenceData> reference;
  std::unique_ptr<ListingPaths> listings;
};
ListingSession open_listing_session(const std::string& dsn, std::string_view schema, std::string_view impl);

/// The reference-data variants: "naive" (the database on every call), "in_process" (a TtlCache),
/// "redis" (Redis in front of the database).
std::span<const std::string_view> reference_implementations() noexcept;

struct ReferenceOptions {
  std::chrono::milliseconds ttl{60'000};
  std::size_t capacity = 100'000;  ///< in_process: entries per cache
  redis::Endpoint redis;           ///< for "redis"
  std::string redis_namespace;     ///< for "redis": see optimized::RedisCacheOptions::key_namespace
};

/// The variant called `name` on a session of its own to the dataset in `schema`; throws UsageError
/// for an unknown name.
std::unique_ptr<ReferenceData> make_reference_data(std::string_view name, const std::string& dsn,
                                                   std::string_view schema, const ReferenceOptions& options = {});

/// prepare_certificate_data: "naive" (paths derived on every call), "optimized" (once).
std::span<const std::string_view> certificate_data_implementations() noexcept;
std::unique_ptr<CertificateDataPaths> make_certificate_data(std::string_view name, const StorageSettings& settings);

}  // namespace certbench::harness
