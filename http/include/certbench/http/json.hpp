#pragma once
// The JSON of the API (docs/api.md): one serialisation of each domain type, shared by
// `certbench show --json` and `certbench serve`, so that every implementation's answer to one
// request is the same bytes.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "certbench/core/listing.hpp"
#include "certbench/core/reference_data.hpp"

namespace certbench::http {

/// One certificate: every field of CertificateRow; image_path null when unset; spa_name,
/// template_name, user_email and user_full_name present only when the listing fills them.
nlohmann::json certificate_json(const CertificateRow& row);

/// A listing page: {"after", "listing", "next_cursor", "page", "rows", "size"} and, for the user
/// listing, "user_id" (docs/api.md); compact, keys sorted.
/// `after` is the cursor the page was asked for ("" = a numbered page).
std::string listing_body(Listing listing, std::int64_t user_id, const PageRequest& page, std::string_view after,
                         const ListingPage& result);

/// One template; its layout embedded as JSON (as stored, re-serialised compactly).
nlohmann::json template_json(const CertificateTemplate& t);

/// {"error": message}.
std::string error_body(std::string_view message);

}  // namespace certbench::http
