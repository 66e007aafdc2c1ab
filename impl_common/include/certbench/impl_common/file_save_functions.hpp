#pragma once
// The review's file-save functions (save_base64_image, save_certificate_file): the one interface
// the naive, aiofiles, thread_pool and io_uring implementations satisfy. It speaks Asio coroutines, as the
// backend's async handlers do; only this header and the implementations' sources include Asio.
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <filesystem>
#include <string>
#include <string_view>

#include "certbench/core/file_saves.hpp"

namespace certbench::impl_common {

/// Saves files into one directory, from coroutines running on one event loop (an io_context run
/// by one thread, as the backend's asyncio loop). The contract, the same for every implementation:
///
/// - Same inputs, same outputs: the saved file is `dir`/`name` with the same bytes, whichever
///   implementation wrote it; SavedFile::path is the directory as given joined with `name`.
/// - A request is checked before anything touches the disk (impl_common/file_saves.hpp): a refused
///   one throws InputError out of the co_await and writes nothing.
/// - The write is atomic (impl_common::write_file_atomically): a reader of `name` sees the previous file
///   or the new one, never a part of one; nothing is followed through a symbolic link. A failed
///   write throws EnvironmentError naming the file and the reason, and leaves no temporary file.
/// - Any number of saves may be in flight at once on the loop; of two saves of one name, the one
///   that renames last wins, and both files are complete.
/// - Where the work runs is what tells the implementations apart: on the loop thread (naive: it
///   blocks every other coroutine), on a thread pool, or in the kernel through io_uring.
///
/// Call the saves only from coroutines on the implementation's io_context; destroy the
/// implementation only when no save is in flight (e.g. after io_context::run() returned).
class FileSaveFunctions {
 public:
  virtual ~FileSaveFunctions() = default;
  FileSaveFunctions(const FileSaveFunctions&) = delete;
  FileSaveFunctions& operator=(const FileSaveFunctions&) = delete;

  [[nodiscard]] virtual std::string_view name() const noexcept = 0;  ///< "naive", "aiofiles", "thread_pool", "io_uring"

  /// save_base64_image(name, payload): `payload` is plain base64 or a data:image/<type>;base64,
  /// URL of an allowed image type whose bytes carry that type's signature.
  virtual boost::asio::awaitable<SavedFile> save_base64_image(std::string name, std::string payload) = 0;
  /// save_certificate_file(name, bytes): any bytes (a PDF, say) up to the size cap.
  virtual boost::asio::awaitable<SavedFile> save_certificate_file(std::string name, std::string bytes) = 0;

  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }
  [[nodiscard]] const SaveOptions& options() const noexcept { return options_; }

 protected:
  /// Throws UsageError for invalid options (impl_common::check_save_options). The directory is checked
  /// by every save, not here: it may be created or replaced later.
  FileSaveFunctions(std::filesystem::path dir, SaveOptions options);

 private:
  std::filesystem::path dir_;
  SaveOptions options_;
};

}  // namespace certbench::impl_common
