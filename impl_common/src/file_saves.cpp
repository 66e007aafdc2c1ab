#include "certbench/impl_common/file_saves.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/base64.hpp"
#include "certbench/sys/atomic_file.hpp"

namespace fs = std::filesystem;

namespace certbench::impl_common {
namespace {

constexpr std::array<std::string_view, 4> kKnownImageTypes{"image/png", "image/jpeg", "image/gif",
                                                          "image/webp"};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

bool allowed(const SaveOptions& options, std::string_view type) {
  return std::find(options.allowed_image_types.begin(), options.allowed_image_types.end(), type) !=
         options.allowed_image_types.end();
}

std::string allowed_list(const SaveOptions& options) {
  std::string out;
  for (const auto& t : options.allowed_image_types) out += (out.empty() ? "" : ", ") + t;
  return out;
}

void check_allowed(const SaveOptions& options, std::string_view type) {
  if (!allowed(options, type))
    throw InputError("image type " + sys::printable(type) + " is not allowed (allowed: " + allowed_list(options) + ")");
}

// Decodes strict base64 (base64::decode, a SIMD kernel where the CPU has one: docs/file-saves.md).
// Only a refused payload is looked at again, to say why in one line.
std::string decode_base64(std::string_view text) {
  std::string out;
  if (base64::decode(text, out)) return out;
  const auto tolerated_elsewhere = [](char c) { return c == '-' || c == ' ' || (c >= '\t' && c <= '\r'); };
  if (const auto bad = std::find_if(text.begin(), text.end(), tolerated_elsewhere); bad != text.end())
    throw InputError("the base64 payload has " + std::string(*bad == '-' ? "a '-'" : "whitespace") + " at byte " +
                     std::to_string(bad - text.begin()) +
                     "; it must be plain base64 (RFC 4648) without line breaks");
  if (text.size() % 4 != 0)
    throw InputError("the payload is not valid base64 (its length is not a multiple of 4: missing padding?)");
  throw InputError("the payload is not valid base64 (a character outside the alphabet, or bad padding)");
}


}  // namespace

std::span<const std::string_view> known_image_types() noexcept { return kKnownImageTypes; }

void check_save_options(const SaveOptions& options) {
  if (options.max_bytes == 0) throw UsageError("the size cap must be at least 1 byte");
  if (options.pool_threads < 1 || options.pool_threads > 256)
    throw UsageError("the thread pool takes 1 to 256 threads (got " + std::to_string(options.pool_threads) + ")");
  if (options.decode_threads < 1 || options.decode_threads > 256)
    throw UsageError("the decoding pool takes 1 to 256 threads (got " + std::to_string(options.decode_threads) + ")");
  for (const auto& type : options.allowed_image_types)
    if (std::find(kKnownImageTypes.begin(), kKnownImageTypes.end(), type) == kKnownImageTypes.end())
      throw UsageError("unknown image type " + sys::printable(type) +
                       " in the allow-list (known: image/png, image/jpeg, image/gif, image/webp)");
}

void check_file_name(std::string_view name) {
  if (name.empty()) throw InputError("the file name is empty");
  if (name.size() > kMaxFileNameBytes)
    throw InputError("the file name is " + std::to_string(name.size()) + " bytes long; at most " +
                     std::to_string(kMaxFileNameBytes) + " are allowed");
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      throw InputError("the file name '" + sys::printable(name) + "' contains a control character");
  if (name == "." || name == "..") throw InputError("'" + std::string(name) + "' is not a file name");
  if (name.front() == '/') throw InputError("the file name '" + sys::printable(name) + "' is an absolute path");
  if (name.find_first_of("/\\") != std::string_view::npos)
    throw InputError("the file name '" + sys::printable(name) + "' contains a path separator");
  if (name.find("..") != std::string_view::npos)
    throw InputError("the file name '" + sys::printable(name) + "' contains '..'");
  // Hidden files are refused too: they include .htaccess-like files a web server obeys, and the
  // temporary files of the atomic write.
  if (name.front() == '.') throw InputError("the file name '" + sys::printable(name) + "' starts with '.'");
}

std::string_view sniff_image_type(std::string_view bytes) noexcept {
  using namespace std::string_view_literals;
  if (bytes.starts_with("\x89PNG\r\n\x1a\n"sv)) return "image/png";
  if (bytes.starts_with("\xff\xd8\xff"sv)) return "image/jpeg";
  if (bytes.starts_with("GIF87a"sv) || bytes.starts_with("GIF89a"sv)) return "image/gif";
  if (bytes.size() >= 12 && bytes.starts_with("RIFF"sv) && bytes.substr(8, 4) == "WEBP"sv) return "image/webp";
  return "";
}

std::uint64_t max_base64_length(std::uint64_t max_bytes) noexcept {
  const std::uint64_t groups = max_bytes / 3 + (max_bytes % 3 != 0 ? 1 : 0);
  return groups > std::numeric_limits<std::uint64_t>::max() / 4 ? std::numeric_limits<std::uint64_t>::max()
                                                                : groups * 4;
}

namespace {
thread_local std::uint64_t decodes_here = 0;
}  // namespace

std::uint64_t decodes_on_this_thread() noexcept { return decodes_here; }

DecodedImage decode_base64_image(std::string_view payload, const SaveOptions& options) {
  ++decodes_here;
  std::string declared;
  std::string_view text = payload;
  if (lower(payload.substr(0, 5)) == "data:") {
    // data:image/<type>;base64,<data> — nothing else (no charset or other parameters). The
    // header is short: look for its comma in the first bytes only, not in megabytes of data.
    constexpr std::size_t kMaxHeader = 128;
    const auto comma = payload.substr(0, kMaxHeader).find(',');
    const std::string header = comma == std::string_view::npos ? "" : lower(payload.substr(5, comma - 5));
    constexpr std::string_view kSuffix = ";base64";
    if (!header.ends_with(kSuffix) || !header.starts_with("image/") ||
        header.find(';') != header.size() - kSuffix.size())
      throw InputError("a data URL must read data:image/<type>;base64,<data> (got '" +
                       sys::printable(payload.substr(0, std::min(comma, std::size_t{40}))) + "')");
    declared = header.substr(0, header.size() - kSuffix.size());
    check_allowed(options, declared);
    text = payload.substr(comma + 1);
  }
  const std::uint64_t limit = max_base64_length(options.max_bytes);
  if (text.size() > limit)
    throw InputError("the base64 payload is " + std::to_string(text.size()) + " bytes long: more than the " +
                     std::to_string(limit) + " that encode the " + std::to_string(options.max_bytes) +
                     "-byte size cap");
  DecodedImage image{declared, decode_base64(text)};
  if (image.bytes.size() > options.max_bytes)
    throw InputError("the image is " + std::to_string(image.bytes.size()) + " bytes: more than the " +
                     std::to_string(options.max_bytes) + "-byte size cap");
  if (image.bytes.empty()) throw InputError("the image is empty");
  const std::string_view sniffed = sniff_image_type(image.bytes);
  if (!declared.empty()) {
    if (sniffed != declared)
      throw InputError("the data URL says " + declared + " but the bytes are " +
                       (sniffed.empty() ? std::string("no known image type") : std::string(sniffed)));
  } else {
    if (sniffed.empty())
      throw InputError("the bytes are not an image of a known type (png, jpeg, gif or webp by their signature)");
    check_allowed(options, sniffed);
    image.mime_type = sniffed;
  }
  return image;
}

void check_certificate_file(std::string_view name, std::string_view bytes, const SaveOptions& options) {
  check_file_name(name);
  if (bytes.size() > options.max_bytes)
    throw InputError("the file is " + std::to_string(bytes.size()) + " bytes: more than the " +
                     std::to_string(options.max_bytes) + "-byte size cap");
}

SavedFile write_file_atomically(const fs::path& dir, std::string_view name, std::string_view bytes, bool fsync) {
  check_file_name(name);  // the protocol takes a name in `dir`, never a path
  sys::write_file_atomic(dir, name, bytes, {.fsync = fsync, .refuse_links = true});
  return SavedFile{dir / name, bytes.size()};
}

SavedFile save_base64_image_blocking(const fs::path& dir, std::string_view name, std::string_view payload,
                                     const SaveOptions& options) {
  return write_file_atomically(dir, name, checked_image_bytes(name, payload, options), options.fsync);
}

std::string checked_image_bytes(std::string_view name, std::string_view payload, const SaveOptions& options) {
  check_file_name(name);
  return decode_base64_image(payload, options).bytes;
}

SavedFile save_certificate_file_blocking(const fs::path& dir, std::string_view name, std::string_view bytes,
                                         const SaveOptions& options) {
  check_certificate_file(name, bytes, options);
  return write_file_atomically(dir, name, bytes, options.fsync);
}

}  // namespace certbench::impl_common
