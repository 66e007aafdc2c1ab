// The API's routing on its own: paths to what they ask for, and the refusals, without sockets.
#include <gtest/gtest.h>

#include "certbench/core/errors.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/http/api.hpp"
#include "certbench/http/cursor.hpp"
#include "certbench/http/routes.hpp"

using namespace certbench;
using namespace certbench::http;

namespace {

int status_of(std::string_view method, std::string_view target) {
  try {
    route(method, target);
    return 200;
  } catch (...) {
    return current_error_response().status;
  }
}

TEST(ServeRoutes, EveryRegisteredImplementationHasItsPrefix) {
  for (auto impl : harness::listing_implementations()) {
    const auto r = std::get<ListingRoute>(route("GET", "/" + std::string(impl) + "/admin/certificates?page=2&size=5"));
    EXPECT_EQ(r.impl, impl);
    EXPECT_EQ(r.listing, Listing::all_certificates_with_users);
    EXPECT_EQ(r.page.page, 2);
    EXPECT_EQ(r.page.size, 5);
  }
  for (auto variant : harness::reference_implementations()) {
    const auto r = std::get<TemplateRoute>(route("GET", "/" + std::string(variant) + "/templates/public"));
    EXPECT_EQ(r.variant, variant);
    EXPECT_FALSE(r.id);
  }
  for (auto impl : harness::file_save_implementations()) {
    const auto r = std::get<SaveRoute>(route("POST", "/" + std::string(impl) + "/certificates/esthetician/12/file"));
    EXPECT_EQ(r.impl, impl);
    EXPECT_EQ(r.path, SavePath::certificate_file);
    EXPECT_EQ(r.kind, "esthetician");
    EXPECT_EQ(r.id, 12);
  }
}

TEST(ServeRoutes, QueriesAndCursorsAreDecoded) {
  const auto user = std::get<ListingRoute>(route("GET", "/optimized/users/42/certificates?size=3&x=y"));
  EXPECT_EQ(user.listing, Listing::user_certificates);
  EXPECT_EQ(user.user_id, 42);
  EXPECT_EQ(user.page.page, 1);
  EXPECT_EQ(user.page.size, 3);
  const ListingPosition at{1'700'000'000'000'000, "spa_therapist", 9};
  const std::string cursor = encode_cursor(Listing::certificates_endpoint, 0, at);
  const auto keyset = std::get<ListingRoute>(route("GET", "/cached/certificates?after=" + cursor));
  EXPECT_EQ(keyset.listing, Listing::certificates_endpoint);
  EXPECT_EQ(keyset.after, cursor);
  EXPECT_EQ(keyset.page.after, at);
}

TEST(ServeRoutes, RefusalsCarryTheirStatus) {
  EXPECT_EQ(status_of("GET", "/health"), 200);
  EXPECT_EQ(status_of("GET", "/health?x=1"), 200);
  EXPECT_EQ(status_of("POST", "/health"), 405);
  EXPECT_EQ(status_of("GET", "health"), 404);
  EXPECT_EQ(status_of("GET", "/naive"), 404);
  EXPECT_EQ(status_of("GET", "//certificates/public"), 404);
  EXPECT_EQ(status_of("GET", "/io_uring/certificates/public"), 404);  // a save implementation, not a listing
  EXPECT_EQ(status_of("GET", "/optimized/templates/1"), 404);          // a listing implementation, not a cache
  EXPECT_EQ(status_of("GET", "/naive/certificates/public?page=99999999999999999999"), 400);
  EXPECT_EQ(status_of("GET", "/naive/certificates/public?size=%2"), 400);
  EXPECT_EQ(status_of("GET", "/naive/users/1x/certificates"), 400);
  EXPECT_EQ(status_of("POST", "/naive/certificates/spa_therapist/-1/image"), 400);
  EXPECT_EQ(status_of("PUT", "/naive/certificates/spa_therapist/1/image"), 405);
}

}  // namespace
