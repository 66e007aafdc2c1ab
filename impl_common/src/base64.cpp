#include "certbench/impl_common/base64.hpp"

#include <openssl/evp.h>

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace certbench::impl_common::base64 {
namespace {

constexpr unsigned char kRefused = 0xFF;

// Each byte's 6-bit value, or kRefused ('=' included: padding is handled apart).
constexpr std::array<unsigned char, 256> kValues = [] {
  std::array<unsigned char, 256> t{};
  t.fill(kRefused);
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<unsigned char>(i);
  return t;
}();

// Whole groups of four characters, none of them '=': `n` (a multiple of 4) characters from `src`,
// n / 4 * 3 bytes to `dst`. No early exit: refused bytes are rare, and the answer is the OR of them all.
bool scalar_groups(const unsigned char* src, std::size_t n, unsigned char* dst) noexcept {
  unsigned refused = 0;
  for (std::size_t i = 0; i < n; i += 4, dst += 3) {
    const unsigned a = kValues[src[i]], b = kValues[src[i + 1]], c = kValues[src[i + 2]], d = kValues[src[i + 3]];
    refused |= a | b | c | d;
    const std::uint32_t v = a << 18 | b << 12 | c << 6 | d;
    dst[0] = static_cast<unsigned char>(v >> 16);
    dst[1] = static_cast<unsigned char>(v >> 8);
    dst[2] = static_cast<unsigned char>(v);
  }
  return (refused & 0x80) == 0;
}

// The AVX2 kernel: 32 characters to 24 bytes a step, as in Wojciech Muła and Daniel Lemire,
// "Faster Base64 Encoding and Decoding Using AVX2 Instructions" (ACM TWEB 2018), and aklomp/base64.
// Validation: a byte is in the alphabet when lut_lo[low nibble] & lut_hi[high nibble] is zero;
// translation: add lut_roll[high nibble] (the '/' row apart); packing: two multiply-adds merge the
// four 6-bit values of each 32-bit lane, a shuffle and a lane permutation compact them. Each step
// stores 32 bytes of which the last 8 are garbage the next step overwrites: `dst` needs 8 bytes
// of slack after n / 4 * 3. Groups left over (fewer than 32 characters) go to scalar_groups.
__attribute__((target("avx2"))) bool avx2_groups(const unsigned char* src, std::size_t n, unsigned char* dst) noexcept {
  const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A,
                                          0x1B, 0x1B, 0x1B, 0x1A, 0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                          0x11, 0x11, 0x13, 0x1A, 0x1B, 0x1B, 0x1B, 0x1A);
  const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
                                          0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
  const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                            0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m256i mask_2f = _mm256_set1_epi8(0x2F);
  const __m256i merge_pairs = _mm256_set1_epi32(0x01400140);  // a * 64 + b, c * 64 + d
  const __m256i merge_quads = _mm256_set1_epi32(0x00011000);  // (a, b) * 4096 + (c, d)
  const __m256i compact = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1,  //
                                           2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
  const __m256i join_lanes = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, -1, -1);
  __m256i refused = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
    const __m256i hi_nibbles = _mm256_and_si256(_mm256_srli_epi32(s, 4), mask_2f);
    const __m256i lo_nibbles = _mm256_and_si256(s, mask_2f);
    refused = _mm256_or_si256(refused, _mm256_and_si256(_mm256_shuffle_epi8(lut_lo, lo_nibbles),
                                                        _mm256_shuffle_epi8(lut_hi, hi_nibbles)));
    const __m256i is_slash = _mm256_cmpeq_epi8(s, mask_2f);
    s = _mm256_add_epi8(s, _mm256_shuffle_epi8(lut_roll, _mm256_add_epi8(is_slash, hi_nibbles)));
    s = _mm256_madd_epi16(_mm256_maddubs_epi16(s, merge_pairs), merge_quads);
    s = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(s, compact), join_lanes);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i / 4 * 3), s);
  }
  const bool ok = _mm256_testz_si256(refused, refused) != 0;
  return scalar_groups(src + i, n - i, dst + i / 4 * 3) && ok;
}

constexpr std::array<Kernel, 2> kKernels{Kernel::scalar, Kernel::avx2};

}  // namespace

std::span<const Kernel> kernels() noexcept { return kKernels; }

std::string_view name(Kernel kernel) noexcept { return kernel == Kernel::avx2 ? "avx2" : "scalar"; }

bool runs_here(Kernel kernel) noexcept {
  return kernel == Kernel::scalar || (kernel == Kernel::avx2 && __builtin_cpu_supports("avx2"));
}

Kernel fastest_kernel() noexcept {
  static const Kernel fastest = runs_here(Kernel::avx2) ? Kernel::avx2 : Kernel::scalar;
  return fastest;
}

bool decode(std::string_view text, std::string& out, Kernel kernel) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  if (text.empty()) return true;
  const auto* src = reinterpret_cast<const unsigned char*>(text.data());
  // Every group but the last has no '='; the last may end in one or two.
  const std::size_t body = text.size() - 4;
  out.reserve(text.size() / 4 * 3);
  // Through a small buffer, appended: std::string cannot grow without writing its bytes first, and
  // zeroing the whole output before decoding into it cost 25 of the ~170 us a decode took under load
  // (docs/file-saves.md).
  constexpr std::size_t kChunk = 4096;  // characters, a multiple of 32
  unsigned char buffer[kChunk / 4 * 3 + 8];  // + the AVX2 kernel's slack
  for (std::size_t at = 0; at < body; at += kChunk) {
    const std::size_t n = std::min(kChunk, body - at);
    const bool ok = kernel == Kernel::avx2 ? avx2_groups(src + at, n, buffer) : scalar_groups(src + at, n, buffer);
    if (!ok) return false;
    out.append(reinterpret_cast<const char*>(buffer), n / 4 * 3);
  }
  const unsigned char* last = src + body;
  const std::size_t pad = last[3] != '=' ? 0 : last[2] != '=' ? 1 : 2;
  unsigned refused = 0;
  std::uint32_t v = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    const unsigned value = k < 4 - pad ? kValues[last[k]] : 0;
    refused |= value;
    v = v << 6 | (value & 0x3F);
  }
  if ((refused & 0x80) != 0) return false;
  const char bytes[3] = {static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 3 - pad);
  return true;
}

std::string encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string encode_url(std::string_view bytes) {
  std::string s = encode(bytes);
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

std::optional<std::string> decode_url(std::string_view text) {
  if (text.empty() || text.size() > 512 || text.find_first_of("+/=") != std::string_view::npos) return std::nullopt;
  std::string s(text);
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  const std::size_t pad = (4 - s.size() % 4) % 4;
  if (pad == 3) return std::nullopt;
  s.append(pad, '=');
  std::string out;
  if (!decode(s, out) || encode_url(out) != text) return std::nullopt;  // one text per bytes: unused bits zero
  return out;
}

}  // namespace certbench::impl_common::base64
