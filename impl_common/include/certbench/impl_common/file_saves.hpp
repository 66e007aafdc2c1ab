#pragma once
// What every file-save implementation shares, so that they differ only in where the work runs:
// the checks of a request (done before anything touches the disk), the base64 decoding, and the
// atomic write protocol. docs/file-saves.md explains the rules.
//
// Errors: a request certbench refuses is an InputError (exit 2) with one line naming the reason;
// a disk that fails is an EnvironmentError (exit 3) naming the file and strerror; bad options are
// a UsageError (exit 2).
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "certbench/core/file_saves.hpp"

namespace certbench::impl_common {

/// Longest file name a save accepts, in bytes (NAME_MAX of Linux file systems).
inline constexpr std::size_t kMaxFileNameBytes = 255;

/// The image types whose signature (magic number) certbench recognises.
std::span<const std::string_view> known_image_types() noexcept;

/// Throws UsageError unless max_bytes >= 1, pool_threads and decode_threads are 1..256 and every allowed image type is
/// a known one (lower case).
void check_save_options(const SaveOptions& options);

/// Throws InputError unless `name` is one plain file name: not empty, not "." or "..", no "..",
/// no '/' or '\', no NUL or other control character (bytes < 0x20 and 0x7f), at most 255 bytes.
void check_file_name(std::string_view name);

/// The known image type whose signature `bytes` start with, or "" when none matches.
std::string_view sniff_image_type(std::string_view bytes) noexcept;

/// The longest base64 text (without a data-URL prefix) that can encode max_bytes: longer payloads
/// are refused before decoding.
std::uint64_t max_base64_length(std::uint64_t max_bytes) noexcept;

struct DecodedImage {
  std::string mime_type;  ///< e.g. "image/png"
  std::string bytes;
};

/// Decodes a save_base64_image payload: plain base64 (padded, no whitespace), or a data URL
/// `data:image/<type>;base64,<base64>`. Throws InputError, before decoding, for a payload longer
/// than max_base64_length(options.max_bytes) or a data URL of another form or a type not allowed;
/// after decoding, for invalid base64, more than max_bytes, bytes whose signature is not the
/// declared type's, or (plain base64) an unknown or not allowed signature.
DecodedImage decode_base64_image(std::string_view payload, const SaveOptions& options);

/// How many payloads decode_base64_image has decoded (or tried to) on the calling thread: lets a
/// test prove which thread does the decoding (e.g. never the loop's). Thread-safe: a counter per
/// thread.
std::uint64_t decodes_on_this_thread() noexcept;

/// Throws InputError unless `name` passes check_file_name and `bytes` fit options.max_bytes
/// (save_certificate_file takes any bytes, e.g. a PDF).
void check_certificate_file(std::string_view name, std::string_view bytes, const SaveOptions& options);

/// Writes `bytes` to `dir`/`name` atomically, blocking, after check_file_name(name):
/// sys::write_file_atomic with refuse_links (sys/atomic_file.hpp) — nothing followed, a wrong
/// `dir` or a `name` that is not a regular file an InputError, any other failure an
/// EnvironmentError with `name` unchanged.
SavedFile write_file_atomically(const std::filesystem::path& dir, std::string_view name,
                                std::string_view bytes, bool fsync);

/// save_base64_image's checks and decode, before any disk access: the file name, then the payload;
/// the bytes to write. The first stage of every implementation (the offloaded ones run it off the
/// loop, on threads of its own).
std::string checked_image_bytes(std::string_view name, std::string_view payload, const SaveOptions& options);

/// save_base64_image, blocking: checked_image_bytes, then write_file_atomically.
SavedFile save_base64_image_blocking(const std::filesystem::path& dir, std::string_view name,
                                     std::string_view payload, const SaveOptions& options);

/// save_certificate_file, blocking: check, then write_file_atomically.
SavedFile save_certificate_file_blocking(const std::filesystem::path& dir, std::string_view name,
                                         std::string_view bytes, const SaveOptions& options);

}  // namespace certbench::impl_common
