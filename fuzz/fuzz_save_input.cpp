// What a save request brings: a file name and a save_base64_image payload (plain base64 or a data
// URL). The input is the name, a NUL, then the payload. Refusals are InputError; a name that
// passes is one plain file name; a decoded image fits its limit and starts with its type's
// signature.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "check.hpp"

namespace impl_common = certbench::impl_common;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto nul = input.find('\0');
  const std::string_view name = input.substr(0, nul);
  const std::string_view payload = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

  try {
    impl_common::check_file_name(name);
    CERTBENCH_FUZZ_CHECK(!name.empty() && name.size() <= impl_common::kMaxFileNameBytes);
    CERTBENCH_FUZZ_CHECK(name.front() != '.' && name.find("..") == std::string_view::npos);
    for (char c : name) {
      const auto b = static_cast<unsigned char>(c);
      CERTBENCH_FUZZ_CHECK(c != '/' && c != '\\' && b >= 0x20 && b != 0x7f);
    }
  } catch (const certbench::InputError&) {
  }

  certbench::SaveOptions options;
  options.max_bytes = 4096;  // small, so the limit itself is reached
  try {
    const auto image = impl_common::decode_base64_image(payload, options);
    CERTBENCH_FUZZ_CHECK(image.bytes.size() <= options.max_bytes);
    CERTBENCH_FUZZ_CHECK(!impl_common::sniff_image_type(image.bytes).empty());
    CERTBENCH_FUZZ_CHECK(image.mime_type == impl_common::sniff_image_type(image.bytes));
  } catch (const certbench::InputError&) {
  }
  return 0;
}
