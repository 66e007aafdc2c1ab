#include "certbench/http/cursor.hpp"

#include <algorithm>
#include <cstdlib>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <vector>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/impl_common/base64.hpp"

namespace certbench::http {
namespace {

constexpr std::size_t kTagBytes = 12;

std::string key() {
  const char* env = std::getenv("CERTBENCH_CURSOR_KEY");
  return env != nullptr && *env != '\0' ? env : "certbench keyset cursor v1";
}

std::string tag(const std::string& payload) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  const std::string k = key();
  HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), kTagBytes);
}

std::string payload_of(Listing listing, std::int64_t user_id, const ListingPosition& p) {
  return fmt::format("v1|{}|{}|{}|{}|{}", to_string(listing),
                     listing == Listing::user_certificates ? user_id : 0, p.generated_at_us, p.kind, p.id);
}

}  // namespace

std::string encode_cursor(Listing listing, std::int64_t user_id, const ListingPosition& position) {
  const std::string payload = payload_of(listing, user_id, position);
  return impl_common::base64::encode_url(payload + tag(payload));
}

ListingPosition decode_cursor(const std::string& cursor, Listing listing, std::int64_t user_id) {
  const auto bytes = impl_common::base64::decode_url(cursor);
  if (!bytes || bytes->size() <= kTagBytes || bytes->rfind("v1|", 0) != 0)
    throw InputError("not a certbench cursor (pass next_cursor from the previous page as it is)", "after");
  const std::string payload = bytes->substr(0, bytes->size() - kTagBytes);
  if (tag(payload) != bytes->substr(bytes->size() - kTagBytes))
    throw InputError("the cursor was altered (its signature does not match)", "after");
  // v1|listing|user|generated_at_us|kind|id
  std::vector<std::string> f;
  for (std::size_t start = 0, bar;; start = bar + 1) {
    bar = payload.find('|', start);
    f.push_back(payload.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) break;
  }
  if (f.size() != 6) throw InputError("not a certbench cursor", "after");
  if (f[1] != to_string(listing) ||
      f[2] != std::to_string(listing == Listing::user_certificates ? user_id : 0))
    throw InputError("the cursor belongs to another listing (" + f[1] + ")", "after");
  ListingPosition p;
  try {
    p = ListingPosition{std::stoll(f[3]), f[4], std::stoll(f[5])};
  } catch (const std::exception&) {
    throw InputError("not a certbench cursor", "after");
  }
  const auto kinds = certificate_kinds();
  const bool known_kind = std::any_of(kinds.begin(), kinds.end(), [&](const auto& k) { return k.name == p.kind; });
  // 0001-01-01 .. 9999-12-31: what a timestamp can be.
  if (!known_kind || p.id < 0 || p.generated_at_us < -62135596800000000 || p.generated_at_us > 253402300799999999)
    throw InputError("not a certbench cursor", "after");
  return p;
}

}  // namespace certbench::http
