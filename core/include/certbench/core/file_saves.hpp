#pragma once
// The review's file-save functions (its problem 3: save_base64_image and save_certificate_file
// block the event loop): the domain types every implementation shares. The interface itself is
// impl_common/file_save_functions.hpp (it speaks Asio coroutines, which core does not know).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace certbench {

/// A file that was saved: where it is now, and how many bytes it holds.
struct SavedFile {
  std::filesystem::path path;  ///< the target directory as given, joined with the file name
  std::uint64_t bytes = 0;
  friend bool operator==(const SavedFile&, const SavedFile&) = default;
};

/// The review's two save functions, and the certificate column each records the saved file in.
enum class SaveFunction {
  base64_image,      ///< save_base64_image: a base64 image or data URL; recorded in image_path
  certificate_file,  ///< save_certificate_file: bytes as they are (the certificate's PDF); in file_path
};
constexpr std::string_view to_string(SaveFunction p) noexcept {
  return p == SaveFunction::base64_image ? "save_base64_image" : "save_certificate_file";
}
constexpr std::string_view recorded_column(SaveFunction p) noexcept {
  return p == SaveFunction::base64_image ? "image_path" : "file_path";
}

/// min(32, cores + 4): the threads of Python's default ThreadPoolExecutor, which aiofiles uses.
inline unsigned aiofiles_pool_threads() noexcept {
  return std::min(32u, std::max(1u, std::thread::hardware_concurrency()) + 4);
}

inline constexpr std::uint64_t kDefaultMaxSaveBytes = 10ull << 20;  // 10 MiB

/// What a save accepts and how it writes. The same options give every implementation the same
/// behaviour; impl_common::check_save_options() says which values are valid.
struct SaveOptions {
  /// The largest file a save writes (decoded bytes); a base64 payload longer than the encoding of
  /// this many bytes is refused before it is decoded.
  std::uint64_t max_bytes = kDefaultMaxSaveBytes;
  /// The image types save_base64_image accepts, as MIME types (lower case). Each must be one whose
  /// signature certbench knows (impl_common::known_image_types()).
  std::vector<std::string> allowed_image_types = {"image/png", "image/jpeg", "image/gif", "image/webp"};
  /// fsync the file before it is renamed into place, and the directory after: durable on return.
  bool fsync = false;
  /// Threads of the pool aiofiles and thread_pool offload the write to (others ignore it). By default
  /// as many as aiofiles gets: it runs on asyncio's default executor, a ThreadPoolExecutor of
  /// min(32, cores + 4) threads.
  unsigned pool_threads = aiofiles_pool_threads();
  /// Threads that decode and check images off the loop, apart from the threads that wait on the
  /// disk (the thread-pool and io_uring implementations; naive ignores it): CPU work, so as many
  /// as the machine has cores. An image's decode then never holds one of the pool's I/O threads,
  /// and never runs on the loop (docs/file-saves.md, "Where the time goes at 64 concurrent").
  unsigned decode_threads = std::clamp(std::thread::hardware_concurrency(), 1u, 256u);
};

}  // namespace certbench
