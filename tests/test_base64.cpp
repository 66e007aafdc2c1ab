// The strict base64 decoder, every kernel, against OpenSSL's EVP_DecodeBlock held to the same form
// (the decoder certbench used before its own, docs/file-saves.md): the same texts accepted, the
// same bytes out. Exhaustive where it is cheap (every byte value at every place of a text that
// spans the SIMD blocks, the scalar groups and the last group, unpadded and padded; at the places
// around the decoder's chunk boundary and the end of a longer one), random elsewhere (a fixed
// seed, so a failure reproduces).
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "certbench/impl_common/base64.hpp"
#include "certbench/impl_common/file_saves.hpp"

namespace certbench::impl_common::base64 {
void PrintTo(Kernel kernel, std::ostream* out) { *out << name(kernel); }  // for GoogleTest's messages
}  // namespace certbench::impl_common::base64

namespace {

using certbench::impl_common::base64::Kernel;
namespace base64 = certbench::impl_common::base64;

using certbench::impl_common::base64::encode;  // OpenSSL's EVP_EncodeBlock

// OpenSSL's block decoder, which tolerates whitespace and '-' at the ends and '=' anywhere, held to
// RFC 4648's form by plain checks first.
std::optional<std::string> openssl_strict(std::string_view text) {
  for (char c : text)
    if (c == '-' || c == ' ' || (c >= '\t' && c <= '\r')) return std::nullopt;
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  if (pad > 2 || text.substr(0, text.size() - pad).find('=') != std::string_view::npos) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string random_bytes(std::mt19937_64& random, std::size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(random() & 0xFF);
  return s;
}

class Base64Kernel : public ::testing::TestWithParam<Kernel> {
 protected:
  void SetUp() override {
    if (!base64::runs_here(GetParam())) GTEST_SKIP() << "this CPU cannot run " << base64::name(GetParam());
  }
  // The kernel's answer and the reference's agree: both refuse, or both accept with the same bytes.
  void expect_as_openssl(std::string_view text) {
    std::string out = "left over";
    const bool accepted = base64::decode(text, out, GetParam());
    const auto expected = openssl_strict(text);
    ASSERT_EQ(accepted, expected.has_value()) << "text of " << text.size() << " characters: '"
                                              << text.substr(0, 100) << (text.size() > 100 ? "…" : "") << "'";
    if (accepted) {
      ASSERT_EQ(out, *expected) << "text of " << text.size() << " characters";
    }
  }
};

TEST_P(Base64Kernel, DecodesTheRfcVectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"Zg==", "f"},         {"Zm8=", "fo"},
                                                         {"Zm9v", "foo"},  {"Zm9vYg==", "foob"}, {"Zm9vYmE=", "fooba"},
                                                         {"Zm9vYmFy", "foobar"}};
  for (const auto& [text, bytes] : vectors) {
    std::string out;
    ASSERT_TRUE(base64::decode(text, out, GetParam())) << text;
    EXPECT_EQ(out, bytes) << text;
  }
}

TEST_P(Base64Kernel, RoundTripsEveryLengthAndTheChunkBoundaries) {
  std::mt19937_64 random(14);
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 200; ++n) lengths.push_back(n);
  for (std::size_t n : {3072u, 6144u, 200'000u})  // 4096 characters a chunk
    for (std::size_t d = 0; d < 7; ++d) lengths.push_back(n - 3 + d);
  for (std::size_t n : lengths) {
    const std::string bytes = random_bytes(random, n);
    std::string out;
    ASSERT_TRUE(base64::decode(encode(bytes), out, GetParam())) << n << " bytes";
    ASSERT_EQ(out, bytes) << n << " bytes";
  }
}

TEST_P(Base64Kernel, RefusesExactlyWhatOpenSslRefusesAtEveryByteAndPlace) {
  std::mt19937_64 random(4648);
  // 76 characters: two 32-character SIMD blocks, two scalar groups, the last group — unpadded, and
  // ending in one and in two '='. Every byte value at every place.
  for (std::size_t bytes : {57u, 56u, 55u}) {
    const std::string short_text = encode(random_bytes(random, bytes));
    ASSERT_EQ(short_text.size(), 76u);
    for (std::size_t at = 0; at < short_text.size(); ++at)
      for (int b = 0; b < 256; ++b) {
        std::string text = short_text;
        text[at] = static_cast<char>(b);
        expect_as_openssl(text);
      }
  }
  // Every byte value at the places around the decoder's chunk boundary (4096 characters) and at the
  // end of a longer text, unpadded and padded.
  for (std::size_t bytes : {6150u, 6149u, 6148u}) {
    const std::string long_text = encode(random_bytes(random, bytes));
    ASSERT_EQ(long_text.size(), 8200u);
    for (std::size_t at : {0u, 31u, 32u, 4063u, 4064u, 4095u, 4096u, 4097u, 4127u, 4128u, 8159u, 8160u, 8191u, 8192u,
                           8195u, 8196u, 8197u, 8198u, 8199u})
      for (int b = 0; b < 256; ++b) {
        std::string text = long_text;
        text[at] = static_cast<char>(b);
        expect_as_openssl(text);
      }
  }
}

TEST_P(Base64Kernel, JudgesPaddingAsOpenSslDoes) {
  for (const char* text : {"QQ==", "QUI=", "QUJD", "Q===", "====", "QQ=A", "Q=Q=", "=QQQ", "QQ==QUJD", "QUI=QUJD",
                           "Q", "QQ", "QUI", "QQ=", "QUJDQQ==", "QUJDQUI=", "QUJDQ===", "QQ==="})
    expect_as_openssl(text);
}

TEST_P(Base64Kernel, AgreesWithOpenSslOnMutatedTexts) {
  std::mt19937_64 random(2018);
  const char interesting[] = {'=', '-', ' ', '\n', '\r', '\t', '\0', '+', '/', 'A', '\x80', '\xff', '.', '_'};
  for (int round = 0; round < 20'000; ++round) {
    std::string text = encode(random_bytes(random, random() % 400));
    const int mutations = static_cast<int>(random() % 4);
    for (int m = 0; m < mutations && !text.empty(); ++m) {
      const std::size_t at = random() % text.size();
      switch (random() % 4) {
        case 0: text[at] = static_cast<char>(random() & 0xFF); break;
        case 1: text[at] = interesting[random() % sizeof interesting]; break;
        case 2: text.insert(at, 1, interesting[random() % sizeof interesting]); break;
        default: text.erase(at, 1); break;
      }
    }
    expect_as_openssl(text);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryKernel, Base64Kernel, ::testing::ValuesIn(base64::kernels().begin(), base64::kernels().end()),
                         [](const auto& param_info) { return std::string(base64::name(param_info.param)); });

TEST(Base64, TheFastestKernelRunsHere) {
  EXPECT_TRUE(base64::runs_here(base64::fastest_kernel()));
  EXPECT_TRUE(base64::runs_here(Kernel::scalar));
  if (__builtin_cpu_supports("avx2")) {
    EXPECT_EQ(base64::fastest_kernel(), Kernel::avx2);
  }
}

}  // namespace
