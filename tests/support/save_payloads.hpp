#pragma once
// What the file-save tests write and check: image bytes with a type's signature, base64 by
// OpenSSL's encoder, data URLs, a throwaway directory, and the message of an InputError.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/base64.hpp"
#include "certbench/sys/files.hpp"

namespace certbench::testing {

namespace fs = std::filesystem;

// A fresh directory, removed with everything in it.
struct TempDir {
  fs::path path = sys::make_unique_dir(fs::temp_directory_path(), "certbench-test-saves-");
  TempDir() = default;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

inline std::set<std::string> entries(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

inline std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Test data is encoded by OpenSSL's encoder (impl_common::base64::encode): the decoder under test is
// never checked against an encoder of ours.
inline std::string base64(std::string_view bytes) { return impl_common::base64::encode(bytes); }

// Bytes that start with an image type's signature, `size` of them in all.
inline std::string image_bytes(std::string_view type, std::size_t size, char fill = 'x') {
  std::string head;
  if (type == "image/png") head = std::string("\x89PNG\r\n\x1a\n", 8);
  if (type == "image/jpeg") head = "\xff\xd8\xff\xe0";
  if (type == "image/gif") head = "GIF89a";
  if (type == "image/webp") head = std::string("RIFF\x10\x00\x00\x00WEBPVP8 ", 16);
  std::string bytes = head;
  for (std::size_t i = 0; bytes.size() < size; ++i) bytes += static_cast<char>(fill + static_cast<char>(i % 7));
  bytes.resize(std::max(size, head.size()));
  return bytes;
}

inline std::string data_url(std::string_view type, std::string_view bytes) {
  return "data:" + std::string(type) + ";base64," + base64(bytes);
}

// The message of the InputError `f` throws ("" and a test failure if it throws nothing or else).
template <typename F>
std::string input_error(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an InputError: " << e.what();
    return "";
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

}  // namespace certbench::testing
