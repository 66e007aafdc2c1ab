#pragma once
// The file-save paths of the review (its problem 3: save_base64_image and save_certificate_file
// block the event loop): the domain types every implementation shares. The interface itself is
// impl_common/file_save_paths.hpp (it speaks Asio coroutines, which core does not know).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace certbench {

/// A file that was saved: where it is now, and how many bytes it holds.
struct SavedFile {
  std::filesystem::path path;  ///< the target directory as given, joined with the file name
  std::uint64_t bytes = 0;
  friend bool operator==(const SavedFile&, const SavedFile&) = default;
};

inline constexpr std::uint64_t kDefaultMaxSaveBytes = 10ull << 20;  // 10 MiB

/// What a save accepts and how it writes. The same options give every implementation the same
/// behaviour; impl::check_save_options() says which values are valid.
struct SaveOptions {
  /// The largest file a save writes (decoded bytes); a base64 payload longer than the encoding of
  /// this many bytes is refused before it is decoded.
  std::uint64_t max_bytes = kDefaultMaxSaveBytes;
  /// The image types save_base64_image accepts, as MIME types (lower case). Each must be one whose
  /// signature certbench knows (impl::known_image_types()).
  std::vector<std::string> allowed_image_types = {"image/png", "image/jpeg", "image/gif", "image/webp"};
  /// fsync the file before it is renamed into place, and the directory after: durable on return.
  bool fsync = false;
  /// Threads of the pool the thread-pool implementation offloads to (others ignore it).
  unsigned pool_threads = 4;
};

}  // namespace certbench
