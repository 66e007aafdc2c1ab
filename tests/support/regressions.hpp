#pragma once
// Test-only regressions, brought back into the limited listings under their own name with
// harness::replacing — never a switch in the implementations: the gate's tests and
// scripts/gate-noise show that the gate catches them.
#include <chrono>
#include <string>

#include "certbench/core/listing.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/impl_optimized/listing.hpp"

namespace certbench::testing {

/// The limited listings with the owner of each row looked up one statement at a time: the N+1
/// the review is about (a page of 20: 21 statements instead of 1).
class NPlusOneListings : public ListingFunctions {
 public:
  explicit NPlusOneListings(db::Connection& c) : c_(c), inner_(c, impl_optimized::Strategy::limited_branches) {}
  std::string_view name() const noexcept override { return "limited"; }
  bool serves_keyset() const noexcept override { return inner_.serves_keyset(); }

 protected:
  ListingPage owners(ListingPage page) {
    for (const auto& row : page.rows)
      c_.exec_prepared("test_owner_of", "SELECT * FROM users WHERE id = $1", {std::to_string(row.created_by)});
    return page;
  }
  ListingPage do_public_certificates(const PageRequest& p) override { return owners(inner_.public_certificates(p)); }
  ListingPage do_user_certificates(std::int64_t u, const PageRequest& p) override {
    return owners(inner_.user_certificates(u, p));
  }
  ListingPage do_all_certificates_with_users(const PageRequest& p) override {
    return owners(inner_.all_certificates_with_users(p));
  }
  ListingPage do_certificates_endpoint(const PageRequest& p) override { return owners(inner_.certificates_endpoint(p)); }

 private:
  db::Connection& c_;
  impl_optimized::Listings inner_;
};

/// The limited listings made `factor` times slower: each call does its page, then keeps the CPU
/// busy for (factor - 1) times as long as the page took — the same answer, a known slowdown.
class SlowedListings : public ListingFunctions {
 public:
  SlowedListings(db::Connection& c, double factor) : inner_(c, impl_optimized::Strategy::limited_branches), extra_(factor - 1) {}
  std::string_view name() const noexcept override { return "limited"; }
  bool serves_keyset() const noexcept override { return inner_.serves_keyset(); }

 protected:
  template <class Page>
  ListingPage slowed(Page page) {
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    auto result = page();
    const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>((Clock::now() - t0) * extra_);
    while (Clock::now() < until) {
    }
    return result;
  }
  ListingPage do_public_certificates(const PageRequest& p) override {
    return slowed([&] { return inner_.public_certificates(p); });
  }
  ListingPage do_user_certificates(std::int64_t u, const PageRequest& p) override {
    return slowed([&] { return inner_.user_certificates(u, p); });
  }
  ListingPage do_all_certificates_with_users(const PageRequest& p) override {
    return slowed([&] { return inner_.all_certificates_with_users(p); });
  }
  ListingPage do_certificates_endpoint(const PageRequest& p) override {
    return slowed([&] { return inner_.certificates_endpoint(p); });
  }

 private:
  impl_optimized::Listings inner_;
  double extra_;
};

}  // namespace certbench::testing
