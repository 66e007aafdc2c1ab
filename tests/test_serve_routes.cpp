// The API's routing on its own: paths to what they ask for, and the refusals, without sockets.
#include <gtest/gtest.h>

#include "certbench/core/errors.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/http/api.hpp"
#include "certbench/http/cursor.hpp"
#include "certbench/http/json.hpp"
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
    EXPECT_EQ(r.function, SaveFunction::certificate_file);
    EXPECT_EQ(r.kind, "esthetician");
    EXPECT_EQ(r.id, 12);
  }
}

TEST(ServeRoutes, QueriesAndCursorsAreDecoded) {
  const auto user = std::get<ListingRoute>(route("GET", "/limited/users/42/certificates?size=3&x=y"));
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
  EXPECT_EQ(status_of("GET", "/limited/templates/1"), 404);          // a listing implementation, not a cache
  EXPECT_EQ(status_of("GET", "/naive/certificates/public?page=99999999999999999999"), 400);
  EXPECT_EQ(status_of("GET", "/naive/certificates/public?size=%2"), 400);
  EXPECT_EQ(status_of("GET", "/naive/users/1x/certificates"), 400);
  EXPECT_EQ(status_of("POST", "/naive/certificates/spa_therapist/-1/image"), 400);
  EXPECT_EQ(status_of("PUT", "/naive/certificates/spa_therapist/1/image"), 405);
}

// An image save's body names its file from the certificate and the type its data URL declares
// (case-insensitive, jpeg as jpg); a body that is not {"data_url": "data:image/<type>;…"} is an
// input error (a 400), before any decode.
TEST(ServeRoutes, AnImageUploadIsNamedFromItsCertificateAndDeclaredType) {
  const auto save = std::get<SaveRoute>(route("POST", "/naive/certificates/spa_therapist/7/image"));
  const auto png = image_upload(save, R"({"data_url": "data:image/png;base64,iVBORw0KGgo="})");
  EXPECT_EQ(png.name, "spa_therapist-7.png");
  EXPECT_EQ(png.data_url, "data:image/png;base64,iVBORw0KGgo=");
  EXPECT_EQ(image_upload(save, R"({"data_url": "DATA:IMAGE/JPEG;base64,/9j/"})").name, "spa_therapist-7.jpg");
  for (const char* body : {"", "[]", R"({"image": "data:image/png;base64,"})", R"({"data_url": 5})",
                           R"({"data_url": "iVBORw0KGgo="})", R"({"data_url": "data:image/;base64,"})",
                           R"({"data_url": "data:image/p-g;base64,"})", R"({"data_url": "data:text/plain;base64,"})"})
    EXPECT_THROW(image_upload(save, body), certbench::InputError) << body;
}

// A listing page is written without building a JSON tree: its bytes must be those nlohmann's
// dump() gives the same page, whatever the strings hold — quotes, control characters, non-ASCII
// text, bytes that are not UTF-8 (replaced) — and whichever optional fields a listing fills.
TEST(ServeJson, AListingPageIsTheBytesNlohmannWouldWrite) {
  auto reference = [](Listing listing, std::int64_t user, const PageRequest& page, std::string_view after,
                      const ListingPage& result) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : result.rows) rows.push_back(certificate_json(r));
    nlohmann::json out = {
        {"listing", to_string(listing)},
        {"page", page.after ? nlohmann::json() : nlohmann::json(page.page)},
        {"size", page.size},
        {"after", page.after ? nlohmann::json(std::string(after)) : nlohmann::json()},
        {"rows", rows},
        {"next_cursor", result.next ? nlohmann::json(encode_cursor(listing, user, *result.next)) : nlohmann::json()}};
    if (listing == Listing::user_certificates) out["user_id"] = user;
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  CertificateRow plain{"spa_therapist", 7, "CERT-7", 0, "2023-05-17T13:45:12.123456Z", "Ana", true, 3, 4, 5,
                       "/files/7.pdf", std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
  CertificateRow odd = plain;
  odd.id = -9223372036854775807 - 1;
  odd.recipient_name = std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f ") + "Zo\xc3\xab \xe6\x97\xa5 \xf0\x9f\x8e\x93";
  // Each string escaped on its own: one kind of invalid UTF-8 each.
  odd.certificate_number = "bad \xff\xc3 utf-8";
  odd.file_path = "/surrogate/\xed\xa0\x80";
  odd.is_public = false;
  odd.image_path = "/img/\"x\".png";
  odd.spa_name = "overlong \xc0\xaf";
  odd.template_name = "truncated \xe2\x82";
  odd.user_email = "beyond U+10FFFF \xf4\x90\x80\x80";
  odd.user_full_name = "\x02";
  plain.spa_name = "";  // an empty string is still a member
  ListingPage result{{plain, odd}, ListingPosition{odd.generated_at_us, odd.kind, odd.id}};
  for (const auto listing : {Listing::public_certificates, Listing::user_certificates,
                             Listing::all_certificates_with_users, Listing::certificates_endpoint}) {
    PageRequest numbered{3, 2, std::nullopt};
    EXPECT_EQ(listing_body(listing, 42, numbered, "", result), reference(listing, 42, numbered, "", result));
    PageRequest keyset{1, 2, ListingPosition{1, "esthetician", 2}};
    const std::string after = "cur\"sor\xfe";
    EXPECT_EQ(listing_body(listing, 42, keyset, after, result), reference(listing, 42, keyset, after, result));
    const ListingPage empty{};
    EXPECT_EQ(listing_body(listing, 42, numbered, "", empty), reference(listing, 42, numbered, "", empty));
  }
}

}  // namespace
