#pragma once
// What the tests read their results with: a text search, a whole file, a line count, and a
// throwaway folder of their own.
#include <cstddef>
#include <filesystem>
#include <string>

#include "certbench/sys/files.hpp"

namespace certbench::testing {

inline bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

/// The file's bytes; "" when it cannot be read.
inline std::string slurp(const std::filesystem::path& p) { return sys::read_file(p).value_or(""); }

/// Lines of `text`, a last one without its line break counted too.
inline std::size_t lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n' ? 1 : 0;
  return n + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

/// A new folder under the throwaway parent (sys::throwaway_parent), named `prefix` and a unique tail.
inline std::filesystem::path temp_dir(const std::string& prefix) {
  return sys::make_unique_dir(sys::throwaway_parent(), prefix);
}

}  // namespace certbench::testing
