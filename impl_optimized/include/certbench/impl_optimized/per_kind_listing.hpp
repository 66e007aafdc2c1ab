#pragma once
// The review's other fix for the N+1: "execute queries in parallel". One statement per certificate
// kind, each ordered and limited by its table's index, all sent before any answer is awaited, and
// the page merged in memory from the kinds' sorted lists.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/listing.hpp"
#include "certbench/db/connection.hpp"

namespace certbench::impl_optimized {

/// How a page's per-kind statements travel.
enum class Fanout {
  /// "pipelined": on the one session, in libpq's pipeline mode — every statement sent, one Sync,
  /// one wait for all the answers (db::Connection::exec_pipeline): 5 statements, 1 round trip.
  pipeline,
  /// "parallel": spread over several sessions of the implementation's own, in flight at once
  /// (db::Connection::exec_concurrently): 5 statements, 5 round trips whose waits overlap.
  sessions,
};

/// The listings as the per-kind statements the review's code already had, fixed: each kind's
/// statement asks for the rows the page can need only (`ORDER BY generated_at DESC, id DESC LIMIT
/// offset + size`, or `size` after a keyset position), with the spa and template (endpoint) or the
/// owner (admin) joined to those rows; the application merges the kinds' lists (a k-way merge in
/// the listing order) and keeps the page. Same rows, same order as every other implementation;
/// serves keyset pages. What it costs beyond the one-statement `optimized`: the kinds' rows before
/// the page travel to the client (an offset page brings up to 5 × (offset + size) rows), and the
/// joins run on every row fetched, not on the page's rows only.
///
/// Counts (db::CallStats of the session it was made with): pipeline — 5 statements, 1 round
/// trip per page; sessions — 5 statements, 5 round trips per page, whichever session ran them.
/// Statements are prepared once per session (the first page of a shape costs one more round trip
/// per statement and session). Not thread-safe, like every ListingFunctions.
class PerKindListings final : public ListingFunctions {
 public:
  /// The number of sessions `Fanout::sessions` uses by default: one per certificate kind.
  static std::size_t default_sessions() noexcept;

  /// Pipeline: on `db` alone (`dsn`, `schema` and `sessions` unused). Sessions: on `db` and
  /// `sessions - 1` more sessions of its own, opened with `dsn` on the dataset in `schema` (throws
  /// ConnectionError when one cannot be opened, UsageError when `sessions` is 0). `db` must already be
  /// set up for the dataset (impl_common::use_dataset) and outlive this object.
  PerKindListings(db::Connection& db, Fanout fanout, const std::string& dsn = {}, std::string_view schema = {},
                  std::size_t sessions = default_sessions());
  ~PerKindListings() override;
  PerKindListings(const PerKindListings&) = delete;
  PerKindListings& operator=(const PerKindListings&) = delete;

  [[nodiscard]] std::string_view name() const noexcept override {
    return fanout_ == Fanout::pipeline ? "pipelined" : "parallel";
  }
  [[nodiscard]] bool serves_keyset() const noexcept override { return true; }
  /// Sessions the statements of a page are spread over (1 for the pipeline).
  [[nodiscard]] std::size_t sessions() const noexcept { return 1 + extra_.size(); }

  /// The statements a page of `listing` runs, one per certificate kind in the kinds' order.
  [[nodiscard]] static std::vector<db::PreparedCall> statements(Listing listing, std::int64_t user_id,
                                                                const PageRequest& page);

 protected:
  ListingPage do_public_certificates(const PageRequest& page) override;
  ListingPage do_user_certificates(std::int64_t user_id, const PageRequest& page) override;
  ListingPage do_all_certificates_with_users(const PageRequest& page) override;
  ListingPage do_certificates_endpoint(const PageRequest& page) override;

 private:
  ListingPage run(Listing listing, std::int64_t user_id, const PageRequest& page);
  db::Connection& db_;
  Fanout fanout_;
  std::vector<std::unique_ptr<db::Connection>> extra_;
  std::vector<db::Connection*> all_;  // db_, then extra_
};

}  // namespace certbench::impl_optimized
