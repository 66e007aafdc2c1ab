#pragma once
// The registry of implementations: every name a user or a benchmark can pick, and how to make it.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/file_saves.hpp"
#include "certbench/core/listing.hpp"
#include "certbench/core/certificate_data.hpp"
#include "certbench/core/reference_data.hpp"
#include "certbench/redis/client.hpp"
#include "certbench/db/connection.hpp"

namespace boost::asio {
class io_context;
}

namespace certbench::impl_common {
class FileSaveFunctions;  // impl_common/file_save_functions.hpp: include it to use what make_file_saves returns
}

namespace certbench::harness {

/// "naive", "review" (the review's fix taken literally), "limited" (the best measured: the same
/// UNION ALL with each branch limited to the rows the page can need, read in index order),
/// "pipelined" and "parallel" (the review's other fix: one statement per certificate kind, sent
/// together — in one libpq pipeline on the session, or spread over sessions of its own — and
/// merged in memory), "cached" (limited, with the endpoint's spa and template names from an
/// in-process cache). "cached" is last.
std::span<const std::string_view> listing_implementations() noexcept;

/// The review's subjects among them: "naive" (the code before the review), "review" (its fix as
/// written) and "limited" (the best measured) — what a scenario measures when it cannot afford
/// every implementation (the listings over HTTP).
std::span<const std::string_view> listing_review_subjects() noexcept;

/// Those among them that serve keyset pages (PageRequest::after): each one's serves_keyset().
std::span<const std::string_view> listing_keyset_implementations() noexcept;

/// Those whose page is statements on one session, which pgbench can run as one script (`certbench
/// show --pgbench-script`): not naive (a statement per row), not parallel (sessions of its own).
std::span<const std::string_view> listing_script_implementations() noexcept;

/// The implementations whose answer to `listing` differs: "cached" differs from "limited" only
/// at the endpoint, so runs and benchmarks measure it there only.
std::span<const std::string_view> listing_implementations(Listing listing) noexcept;

/// A session of its own on the dataset in `schema`, and the implementation `impl` on it (throws
/// UsageError for an unknown name). `reference` is the cache of "cached", null otherwise. "parallel"
/// opens more sessions of its own (one per certificate kind, `db` among them) and counts
/// everything they run on `db`.
struct ListingSession {
  std::unique_ptr<db::Connection> db;
  std::unique_ptr<ReferenceData> reference;
  std::unique_ptr<ListingFunctions> listings;
};
ListingSession open_listing_session(const std::string& dsn, std::string_view schema, std::string_view impl);

/// Seconds one call of a listing implementation takes on the run's dataset (page 1), 0 where not
/// known: the listing family's medians, for the estimates of the scenarios after it — a naive call
/// at a large scale outlasts a window, and a window ends only when its calls have.
using CallSeconds = std::function<double(Listing, std::string_view impl)>;

/// How a measurement opens its listing sessions: open_listing_session, unless the caller says
/// otherwise (the specs that open sessions carry one).
using ListingOpener =
    std::function<ListingSession(const std::string& dsn, std::string_view schema, std::string_view impl)>;

/// Makes a listing implementation on a session whose connection is open on the dataset.
using ListingFactory = std::function<std::unique_ptr<ListingFunctions>(ListingSession& session)>;

/// An opener whose sessions of the implementation `name` are made by `make`, the others as
/// open_listing_session makes them: how the tests bring a regression back into a path (an N+1, a
/// slower page) under its own name and show that the gate catches it — through the spec, with no
/// switch in the implementations and no global.
ListingOpener replacing(std::string_view name, ListingFactory make);

/// The reference-data variants: "naive" (the database on every call), "in_process" (a TtlCache),
/// "redis" (Redis in front of the database).
std::span<const std::string_view> reference_implementations() noexcept;

struct ReferenceOptions {
  std::chrono::milliseconds ttl{60'000};
  std::size_t capacity = 100'000;  ///< in_process: entries per cache
  redis::Endpoint redis;           ///< for "redis"
  std::string redis_namespace;     ///< for "redis": see impl_optimized::RedisCacheOptions::key_namespace
};

/// The variant called `name` on a session of its own to the dataset in `schema`; throws UsageError
/// for an unknown name.
std::unique_ptr<ReferenceData> make_reference_data(std::string_view name, const std::string& dsn,
                                                   std::string_view schema, const ReferenceOptions& options = {});

/// prepare_certificate_data: "naive" (paths derived on every call), "precomputed" (once).
std::span<const std::string_view> certificate_data_implementations() noexcept;
std::unique_ptr<CertificateDataFunctions> make_certificate_data(std::string_view name, const StorageSettings& settings);

/// "naive" (on the loop), "aiofiles" (the review's fix: the write on a thread pool, the decode on the
/// loop), "thread_pool" (both off the loop), "io_uring".
std::span<const std::string_view> file_save_implementations() noexcept;
/// The same names as strings: the default of every list of save implementations.
std::vector<std::string> file_save_implementation_names();
/// The review's subjects among them: "naive", "aiofiles" (the fix as written) and "thread_pool"
/// (the best measured) — what uploads over HTTP measure unless told otherwise.
std::span<const std::string_view> file_save_review_subjects() noexcept;

/// The file-save implementation called `name`, saving into `dir`, its coroutines run on `io`.
/// Throws UsageError for an unknown name or invalid options, EnvironmentError when io_uring is
/// not available.
std::unique_ptr<impl_common::FileSaveFunctions> make_file_saves(std::string_view name, boost::asio::io_context& io,
                                                              std::filesystem::path dir, SaveOptions options);

}  // namespace certbench::harness
