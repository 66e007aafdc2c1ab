// The keyset cursor a client sends back: any text is refused with InputError or decoded into a
// position. A position encoded by encode_cursor decodes back to itself for its listing (and, for a
// user's listing, its user only) when it is one a listing can return — a known kind, an id of 0 or
// more, a timestamp within years 1 to 9999 — and is refused otherwise.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/core/listing.hpp"
#include "certbench/http/cursor.hpp"
#include "check.hpp"

namespace http = certbench::http;

namespace {
std::optional<certbench::ListingPosition> decoded(const std::string& cursor, certbench::Listing listing,
                                                  std::int64_t user) {
  try {
    return http::decode_cursor(cursor, listing, user);
  } catch (const certbench::InputError&) {
    return std::nullopt;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (auto listing : certbench::kListings) (void)decoded(text, listing, 7);

  // A position from the input: time and id from the first 16 bytes, then a known kind (by the
  // 17th byte) or, when the 18th byte is odd, the rest of the input as the kind.
  if (size < 18) return 0;
  certbench::ListingPosition position;
  std::memcpy(&position.generated_at_us, data, 8);
  std::memcpy(&position.id, data + 8, 8);
  const auto kinds = certbench::certificate_kinds();
  const bool known = data[17] % 2 == 0;
  position.kind = known ? std::string(kinds[data[16] % kinds.size()].name) : text.substr(18, 64);
  bool listable = position.id >= 0 && position.generated_at_us >= -62135596800000000 &&
                  position.generated_at_us <= 253402300799999999;
  bool kind_known = false;
  for (const auto& k : kinds) kind_known = kind_known || k.name == position.kind;
  listable = listable && kind_known;
  for (auto listing : certbench::kListings) {
    const auto cursor = http::encode_cursor(listing, 7, position);
    const auto back = decoded(cursor, listing, 7);
    CERTBENCH_FUZZ_CHECK(back.has_value() == listable);
    if (back) CERTBENCH_FUZZ_CHECK(*back == position);
    if (listing == certbench::Listing::user_certificates) CERTBENCH_FUZZ_CHECK(!decoded(cursor, listing, 8));
    for (auto other : certbench::kListings)
      if (other != listing) CERTBENCH_FUZZ_CHECK(!decoded(cursor, other, 7));
  }
  return 0;
}
