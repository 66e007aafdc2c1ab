#pragma once
// Writing a whole file so that a reader never sees part of it: the one protocol certbench writes
// files with — its results, reports and baselines, and the file saves of every implementation
// (docs/file-saves.md, "The atomic write").
//
//   1. open the directory (O_DIRECTORY; with refuse_links, O_NOFOLLOW too);
//   2. with refuse_links: a target that exists and is not a regular file is refused;
//   3. create a hidden temporary beside the target (".<name>.XXXXXX.tmp", O_CREAT|O_EXCL|
//      O_NOFOLLOW, mode 0666 less the umask) so that the rename stays on one file system;
//   4. write every byte; 5. fsync it when asked; 6. close it (its error counts);
//   7. rename it over the target — atomic, and a symbolic link there is replaced, never followed;
//   8. fsync the directory when asked, so that the rename is durable.
// Any failure in 3–7 removes the temporary and throws; the target is then unchanged.
//
// Thread safety: every function may be called from any thread.
#include <filesystem>
#include <string>
#include <string_view>

namespace certbench::sys {

struct AtomicWrite {
  /// fsync the file before the rename and the directory after it: durable when the call returns.
  bool fsync = false;
  /// Refuse (InputError) a directory that is a symbolic link, or that does not exist or is not a
  /// directory, and a target that exists and is not a regular file — for names that come from a
  /// request, which must never make certbench follow or replace a link.
  bool refuse_links = false;
};

/// Writes `content` as `path`, whole or not at all (the protocol above). Throws EnvironmentError
/// naming the path, the step and the reason; with refuse_links, InputError as said there.
void write_file_atomic(const std::filesystem::path& path, std::string_view content, AtomicWrite how = {});
/// The same for `name` in `dir`, the directory opened exactly as given (a trailing slash and all).
void write_file_atomic(const std::filesystem::path& dir, std::string_view name, std::string_view content,
                       AtomicWrite how = {});

// The pieces of the protocol for a writer that does its own I/O (io_uring), so that its files and
// errors are the same.

/// A fresh hidden temporary name for `name`: ".<name>.XXXXXX.tmp" (random suffix; `name` is cut
/// so that the whole stays within 255 bytes).
std::string temporary_name(std::string_view name);
/// True for names temporary_name() makes.
bool is_temporary_name(std::string_view name) noexcept;
/// The error for a directory that open(O_DIRECTORY|O_NOFOLLOW) refused with `err`: InputError for
/// ENOENT, ENOTDIR and ELOOP (a wrong directory named), EnvironmentError otherwise.
[[noreturn]] void throw_directory_error(const std::filesystem::path& dir, int err);
/// The InputError for a target that exists and is not a regular file (`mode` as in st_mode).
[[noreturn]] void throw_not_regular_target(const std::filesystem::path& path, unsigned mode);
/// The EnvironmentError for a failed `step` (e.g. "write", "rename") of writing `path`.
[[noreturn]] void throw_write_error(const std::filesystem::path& path, std::string_view step, int err);

/// `text` for a one-line message: control bytes as \xNN, at most its first `shown` bytes.
std::string printable(std::string_view text, std::size_t shown = 80);

}  // namespace certbench::sys
