#pragma once
// Base64, the one home of it in certbench: strict decoding (RFC 4648's standard alphabet, padded,
// nothing tolerated) with a SIMD kernel chosen at run time; encoding by OpenSSL; the URL-safe form
// of the keyset cursors. Every file-save implementation decodes through it (naive too), so the
// decoder is never the difference between them; with OpenSSL's decoder it was the largest
// user-space cost of an image save (docs/file-saves.md). No Debian 12 package offers a SIMD decoder for C or C++, hence this one; it
// is tested byte for byte against OpenSSL's (tests/test_base64.cpp) and measured beside it
// (benchmarks/bench_base64.cpp).
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace certbench::impl_common::base64 {

/// The decoders this build carries. Each accepts exactly the same texts and produces the same bytes.
enum class Kernel {
  scalar,  ///< a table per character, four characters at a time; runs everywhere
  avx2,    ///< 32 characters at a time (Muła and Lemire's pshufb lookup and multiply-add pack)
};

/// Every kernel this build carries, the slowest first.
std::span<const Kernel> kernels() noexcept;

/// "scalar", "avx2".
std::string_view name(Kernel kernel) noexcept;

/// Whether this CPU can run `kernel`.
bool runs_here(Kernel kernel) noexcept;

/// The fastest kernel this CPU runs (checked once).
Kernel fastest_kernel() noexcept;

/// Decodes `text` into `out` (replacing what it held) when `text` is strict base64: only the
/// characters A-Z a-z 0-9 + /, a length that is a multiple of 4, and at most two '=' that end it.
/// Returns false for anything else — whitespace, '-', '=' anywhere else, any other byte — and then
/// `out`'s contents are unspecified. The unused low bits of a padded last group are not checked
/// (OpenSSL does not check them either). `kernel` must run here.
[[nodiscard]] bool decode(std::string_view text, std::string& out, Kernel kernel = fastest_kernel());

/// Standard base64 of `bytes`, padded, one line (OpenSSL's EVP_EncodeBlock): how clients encode
/// what they send.
std::string encode(std::string_view bytes);
/// The URL-safe alphabet (RFC 4648 section 5: '-' and '_' for '+' and '/'), without padding.
std::string encode_url(std::string_view bytes);
/// What encode_url makes, decoded strictly (at most 512 characters); std::nullopt for anything else.
std::optional<std::string> decode_url(std::string_view text);

}  // namespace certbench::impl_common::base64
