#pragma once
// The opaque keyset cursor of `certbench show` and `certbench serve`: a listing position, bound to
// its listing and user, with an HMAC-SHA256 tag so that a malformed or altered cursor is refused rather than
// answered. The key is $CERTBENCH_CURSOR_KEY, or a built-in one: an integrity check, not a secret.
#include <cstdint>
#include <string>

#include "certbench/core/listing.hpp"

namespace certbench::http {

std::string encode_cursor(Listing listing, std::int64_t user_id, const ListingPosition& position);

/// Throws InputError (field "after") naming what is wrong: not a cursor, altered, or from another
/// listing or user.
ListingPosition decode_cursor(const std::string& cursor, Listing listing, std::int64_t user_id);

}  // namespace certbench::http
