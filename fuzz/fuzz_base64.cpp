// The base64 decoders against each other and against their encoders: every kernel this CPU runs
// accepts the same texts and yields the same bytes; what encode makes decodes back, in both
// alphabets.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "certbench/impl_common/base64.hpp"
#include "check.hpp"

namespace b64 = certbench::impl_common::base64;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  std::string first;
  const bool accepted = b64::decode(input, first, b64::Kernel::scalar);
  for (auto kernel : b64::kernels()) {
    if (!b64::runs_here(kernel)) continue;
    std::string out;
    const bool ok = b64::decode(input, out, kernel);
    CERTBENCH_FUZZ_CHECK(ok == accepted);  // the same texts accepted by every kernel
    if (ok) CERTBENCH_FUZZ_CHECK(out == first);
  }
  if (accepted) CERTBENCH_FUZZ_CHECK(first.size() <= input.size() / 4 * 3);

  const std::string encoded = b64::encode(input);
  for (auto kernel : b64::kernels()) {
    if (!b64::runs_here(kernel)) continue;
    std::string back;
    CERTBENCH_FUZZ_CHECK(b64::decode(encoded, back, kernel));
    CERTBENCH_FUZZ_CHECK(back == input);
  }

  // The URL-safe decoder against the standard one: the same bytes whenever it accepts a text.
  if (const auto bytes = b64::decode_url(input)) {
    std::string standard(input);
    for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
    standard.append((4 - standard.size() % 4) % 4, '=');
    std::string out;
    CERTBENCH_FUZZ_CHECK(b64::decode(standard, out, b64::Kernel::scalar) && out == *bytes);
  }
  if (!input.empty()) {  // an empty text is refused: no cursor is empty
    const auto url = b64::encode_url(input.substr(0, 384));  // 384 bytes make 512 characters
    const auto url_back = b64::decode_url(url);
    CERTBENCH_FUZZ_CHECK(url_back.has_value() && *url_back == input.substr(0, 384));
  }
  return 0;
}
