// What a save checks before it writes, and the blocking write's own refusal: the strict base64
// decoder's answers and messages, the tolerated bytes named where they are, the image signatures,
// the temporary names. No event loop: these run on the caller's thread.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "support/save_payloads.hpp"

using namespace certbench;
using certbench::testing::base64;
using certbench::testing::data_url;
using certbench::testing::image_bytes;
using certbench::testing::input_error;
using certbench::testing::read_all;
using certbench::testing::TempDir;

TEST(FileSaves, DecodesStrictBase64AndSaysWhyItRefuses) {
  const SaveOptions options;
  const std::string png = image_bytes("image/png", 300);
  EXPECT_EQ(impl_common::decode_base64_image(base64(png), options).bytes, png);
  EXPECT_EQ(impl_common::decode_base64_image(base64(png), options).mime_type, "image/png");
  EXPECT_EQ(impl_common::decode_base64_image(data_url("image/png", png), options).mime_type, "image/png");
  // What OpenSSL's decoders tolerate and certbench refuses, named as such (docs/file-saves.md).
  for (const std::string& lax : {base64(png) + "-junk", base64(png).insert(4, " "), base64(png).insert(4, "\n")}) {
    const std::string message = input_error([&] { impl_common::decode_base64_image(lax, options); });
    EXPECT_NE(message.find("RFC 4648"), std::string::npos) << message;
  }
  // Bytes outside the alphabet, '=' inside, a cut text.
  for (const std::string& bad : {base64(png).replace(5, 1, "*"), base64(png) + "=", base64(png).substr(1)}) {
    const std::string message = input_error([&] { impl_common::decode_base64_image(bad, options); });
    EXPECT_NE(message.find("not valid base64"), std::string::npos) << message;
  }
}

// Whitespace and '-' are named with their place wherever they are (the decoder's SIMD blocks, its
// scalar groups, the last group); no other byte is called whitespace.
TEST(FileSaves, FindsEveryToleratedByteWhereverItIs) {
  const SaveOptions options;
  const std::string good = base64(image_bytes("image/png", 33));  // 44 characters: a 32-character block, two groups, the last
  ASSERT_EQ(good.size(), 44u);
  for (std::size_t at = 0; at < good.size(); ++at)
    for (int byte = 0; byte < 256; ++byte) {
      const auto c = static_cast<char>(byte);
      const bool tolerated = c == '-' || c == ' ' || (c >= '\t' && c <= '\r');
      std::string payload = good;
      payload[at] = c;
      std::string message;
      try {
        impl_common::decode_base64_image(payload, options);
      } catch (const InputError& e) {
        message = e.what();
      }
      if (tolerated)
        EXPECT_NE(message.find("at byte " + std::to_string(at) + ";"), std::string::npos)
            << "byte " << byte << " at " << at << ": " << message;
      else
        EXPECT_EQ(message.find("RFC 4648"), std::string::npos) << "byte " << byte << " at " << at << ": " << message;
    }
  const std::string two = good.substr(0, 20) + "\n" + good.substr(21, 10) + "-" + good.substr(32);
  EXPECT_NE(input_error([&] { impl_common::decode_base64_image(two, options); }).find("whitespace at byte 20;"),
            std::string::npos)
      << "the first of two is named";
}

TEST(FileSaves, SniffsTheKnownSignaturesOnly) {
  for (std::string_view type : impl_common::known_image_types()) EXPECT_EQ(impl_common::sniff_image_type(image_bytes(type, 40)), type);
  EXPECT_EQ(impl_common::sniff_image_type(""), "");
  EXPECT_EQ(impl_common::sniff_image_type("\x89PNG"), "") << "a cut signature is none";
  EXPECT_EQ(impl_common::sniff_image_type(std::string("RIFF\x10\x00\x00\x00WAVEfmt ", 16)), "") << "RIFF but not WEBP";
  EXPECT_EQ(impl_common::sniff_image_type("BM\x36\x00"), "") << "bmp is not known";
}

TEST(FileSaves, TemporaryNamesAreHiddenUniqueAndFit) {
  const std::string longest(impl_common::kMaxFileNameBytes, 'n');
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string tmp = sys::temporary_name(i % 2 ? "a.png" : longest);
    EXPECT_TRUE(sys::is_temporary_name(tmp)) << tmp;
    EXPECT_LE(tmp.size(), impl_common::kMaxFileNameBytes);
    EXPECT_EQ(tmp.front(), '.');
    seen.insert(tmp);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_FALSE(sys::is_temporary_name("a.png"));
}

TEST(FileSaves, TheBlockingWriteRefusesPathsForNames) {
  TempDir dir;
  EXPECT_THROW(impl_common::write_file_atomically(dir.path, "../x", "x", false), InputError);
  EXPECT_EQ(impl_common::write_file_atomically(dir.path, "x", "abc", false), (SavedFile{dir.path / "x", 3}));
  EXPECT_EQ(read_all(dir.path / "x"), "abc");
}
