#include "certbench/harness/implementations.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <string>

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_naive/certificate_data.hpp"
#include "certbench/impl_naive/file_saves.hpp"
#include "certbench/impl_naive/listing.hpp"
#include "certbench/impl_naive/reference_data.hpp"
#include "certbench/impl_optimized/certificate_data.hpp"
#include "certbench/impl_optimized/file_saves.hpp"
#include "certbench/impl_optimized/listing.hpp"
#include "certbench/impl_optimized/per_kind_listing.hpp"
#include "certbench/impl_optimized/reference_data.hpp"

namespace certbench::harness {

namespace {
// "cached" last: it is measured at the endpoint only (listing_implementations(Listing)).
constexpr std::array<std::string_view, 6> kListingImplementations{"naive",     "review",   "limited",
                                                                  "pipelined", "parallel", "cached"};
constexpr std::string_view kListingNames = "naive, review, limited, pipelined, parallel or cached";

// A session of its own on the dataset in `schema`, without an implementation yet.
ListingSession session_on(const std::string& dsn, std::string_view schema) {
  ListingSession s;
  s.db = std::make_unique<db::Connection>(dsn);
  impl_common::use_dataset(*s.db, schema);
  return s;
}
}  // namespace

ListingOpener replacing(std::string_view name, ListingFactory make) {
  return [name = std::string(name), make = std::move(make)](const std::string& dsn, std::string_view schema,
                                                            std::string_view impl) {
    if (impl != name) return open_listing_session(dsn, schema, impl);
    ListingSession s = session_on(dsn, schema);
    s.listings = make(s);
    return s;
  };
}

std::span<const std::string_view> listing_implementations() noexcept { return kListingImplementations; }

std::span<const std::string_view> listing_review_subjects() noexcept {
  static constexpr std::array<std::string_view, 3> names{"naive", "review", "limited"};
  return names;
}

std::span<const std::string_view> listing_keyset_implementations() noexcept {
  static constexpr std::array<std::string_view, 4> names{"limited", "pipelined", "parallel", "cached"};
  return names;
}

std::span<const std::string_view> listing_script_implementations() noexcept {
  static constexpr std::array<std::string_view, 4> names{"review", "limited", "pipelined", "cached"};
  return names;
}

std::span<const std::string_view> listing_implementations(Listing listing) noexcept {
  const std::span<const std::string_view> all = kListingImplementations;
  return listing == Listing::certificates_endpoint ? all : all.first(all.size() - 1);
}

ListingSession open_listing_session(const std::string& dsn, std::string_view schema, std::string_view impl) {
  if (std::find(kListingImplementations.begin(), kListingImplementations.end(), impl) == kListingImplementations.end())
    throw UsageError("the implementation must be " + std::string(kListingNames) + " (got '" + std::string(impl) + "')",
                     "impl");
  ListingSession s = session_on(dsn, schema);
  if (impl == "naive") {
    s.listings = std::make_unique<impl_naive::Listings>(*s.db);
  } else if (impl == "review") {
    s.listings = std::make_unique<impl_optimized::Listings>(*s.db, impl_optimized::Strategy::union_all);
  } else if (impl == "limited") {
    s.listings = std::make_unique<impl_optimized::Listings>(*s.db, impl_optimized::Strategy::limited_branches);
  } else if (impl == "pipelined") {
    s.listings = std::make_unique<impl_optimized::PerKindListings>(*s.db, impl_optimized::Fanout::pipeline);
  } else if (impl == "parallel") {
    s.listings = std::make_unique<impl_optimized::PerKindListings>(*s.db, impl_optimized::Fanout::sessions, dsn, schema);
  } else {
    s.reference = std::make_unique<impl_optimized::InProcessReferenceData>(dsn, schema);
    s.listings = std::make_unique<impl_optimized::Listings>(*s.db, impl_optimized::Strategy::limited_branches, s.reference.get());
  }
  return s;
}

std::span<const std::string_view> reference_implementations() noexcept {
  static constexpr std::array<std::string_view, 3> names{"naive", "in_process", "redis"};
  return names;
}

std::unique_ptr<ReferenceData> make_reference_data(std::string_view name, const std::string& dsn,
                                                   std::string_view schema, const ReferenceOptions& options) {
  if (name == "naive") return std::make_unique<impl_naive::ReferenceData>(dsn, schema);
  if (name == "in_process") {
    impl_optimized::CacheOptions cache;
    cache.ttl = options.ttl;
    cache.capacity = options.capacity;
    return std::make_unique<impl_optimized::InProcessReferenceData>(dsn, schema, cache);
  }
  if (name == "redis") {
    impl_optimized::RedisCacheOptions redis;
    redis.endpoint = options.redis;
    redis.ttl = options.ttl;
    redis.key_namespace = options.redis_namespace;
    return std::make_unique<impl_optimized::RedisReferenceData>(dsn, schema, redis);
  }
  throw UsageError("the reference-data variant must be naive, in_process or redis (got '" + std::string(name) + "')");
}

std::span<const std::string_view> certificate_data_implementations() noexcept {
  static constexpr std::array<std::string_view, 2> names{"naive", "precomputed"};
  return names;
}

std::unique_ptr<CertificateDataFunctions> make_certificate_data(std::string_view name, const StorageSettings& settings) {
  if (name == "naive") return std::make_unique<impl_naive::CertificateData>(settings);
  if (name == "precomputed") return std::make_unique<impl_optimized::CertificateData>(settings);
  throw UsageError("prepare_certificate_data variants are naive and precomputed (got '" + std::string(name) + "')");
}

std::span<const std::string_view> file_save_implementations() noexcept {
  static constexpr std::array<std::string_view, 4> names{"naive", "aiofiles", "thread_pool", "io_uring"};
  return names;
}

std::vector<std::string> file_save_implementation_names() {
  const auto names = file_save_implementations();
  return {names.begin(), names.end()};
}

std::span<const std::string_view> file_save_review_subjects() noexcept {
  static constexpr std::array<std::string_view, 3> names{"naive", "aiofiles", "thread_pool"};
  return names;
}

std::unique_ptr<impl_common::FileSaveFunctions> make_file_saves(std::string_view name, boost::asio::io_context& io,
                                               std::filesystem::path dir, SaveOptions options) {
  if (name == "naive") return std::make_unique<impl_naive::FileSaves>(std::move(dir), std::move(options));
  if (name == "aiofiles") return std::make_unique<impl_optimized::AiofilesFileSaves>(std::move(dir), std::move(options));
  if (name == "thread_pool")
    return std::make_unique<impl_optimized::ThreadPoolFileSaves>(std::move(dir), std::move(options));
  if (name == "io_uring")
    return std::make_unique<impl_optimized::IoUringFileSaves>(io, std::move(dir), std::move(options));
  throw UsageError("the implementation must be naive, aiofiles, thread_pool or io_uring (got '" + std::string(name) + "')",
                   "impl");
}

}  // namespace certbench::harness
