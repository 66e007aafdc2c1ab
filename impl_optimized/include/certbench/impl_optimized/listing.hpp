#pragma once
#include "certbench/core/listing.hpp"
#include "certbench/core/reference_data.hpp"
#include "certbench/db/connection.hpp"

namespace certbench::impl_optimized {

/// How the one statement per page is written.
enum class Strategy {
  /// "review", the review's fix taken literally: UNION ALL of every certificate table's matching rows, the
  /// joins, then ORDER BY … LIMIT … OFFSET on the whole. PostgreSQL 15 sorts every matching row
  /// for it (no Merge Append across the branches' filtered scans). Numbered pages only.
  union_all,
  /// "limited", the best measured: each branch takes its rows in listing order from its index and stops after
  /// the rows the page can need (ORDER BY generated_at DESC, id DESC LIMIT), the union keeps the
  /// page, and only then are spas, templates or users joined. Serves keyset pages too.
  limited_branches,
};

/// The listings after the review: one statement per page, ordered and paged by the database,
/// joins instead of per-row lookups, prepared once per session.
///
/// With `names` ("cached"), the endpoint takes the review's other answer to its problem 5, "SPA
/// caching": the public page without joins, then each row's spa and template from the cache.
class Listings final : public ListingFunctions {
 public:
  /// `db` must already be set up for the dataset (impl_common::use_dataset); `names`, if given, must
  /// outlive this object.
  Listings(db::Connection& db, Strategy strategy, certbench::ReferenceData* names = nullptr)
      : db_(db), strategy_(strategy), names_(names) {}
  [[nodiscard]] std::string_view name() const noexcept override {
    if (names_ != nullptr) return "cached";
    return strategy_ == Strategy::union_all ? "review" : "limited";
  }
  [[nodiscard]] bool serves_keyset() const noexcept override { return strategy_ == Strategy::limited_branches; }

  /// The statement a page of `listing` runs, and its parameters (for EXPLAIN and pgbench).
  struct Statement {
    std::string name;
    std::string sql;
    std::vector<db::Param> params;
  };
  [[nodiscard]] Statement statement(certbench::Listing listing, std::int64_t user_id,
                                    const PageRequest& page) const;

 protected:
  ListingPage do_public_certificates(const PageRequest& page) override;
  ListingPage do_user_certificates(std::int64_t user_id, const PageRequest& page) override;
  ListingPage do_all_certificates_with_users(const PageRequest& page) override;
  ListingPage do_certificates_endpoint(const PageRequest& page) override;

 private:
  ListingPage run(certbench::Listing listing, std::int64_t user_id, const PageRequest& page);
  db::Connection& db_;
  Strategy strategy_;
  certbench::ReferenceData* names_;
};

}  // namespace certbench::impl_optimized
