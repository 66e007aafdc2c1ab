#pragma once
#include "certbench/core/listing.hpp"
#include "certbench/db/connection.hpp"

namespace certbench::impl_naive {

/// The listings as the backend had them before the review: for every certificate type one query
/// that loads every matching row (all columns, as the ORM does) into memory, then a sort and a
/// slice in the application; the admin listing looks up each shown certificate's owner, and the
/// endpoint each one's spa and template, one query at a time.
class Listings final : public ListingFunctions {
 public:
  /// `db` must already be set up for the dataset (impl_common::use_dataset).
  explicit Listings(db::Connection& db) : db_(db) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "naive"; }
  [[nodiscard]] bool serves_keyset() const noexcept override { return false; }

 protected:
  ListingPage do_public_certificates(const PageRequest& page) override;
  ListingPage do_user_certificates(std::int64_t user_id, const PageRequest& page) override;
  ListingPage do_all_certificates_with_users(const PageRequest& page) override;
  ListingPage do_certificates_endpoint(const PageRequest& page) override;

 private:
  db::Connection& db_;
};

}  // namespace certbench::impl_naive
