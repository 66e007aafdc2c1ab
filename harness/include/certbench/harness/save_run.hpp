#pragma once
// The file-save measurements (docs/file-saves.md): save_base64_image with a realistic image and
// save_certificate_file with a realistic PDF, every implementation, at concurrency 1, 2, 4 … 64 on
// one event loop (harness/loop_load.hpp). Each request saves the file under its certificate's file
// name and records the path on the certificate's row (off the loop, the same for every
// implementation), so the file save is the only difference between them.
//
// Beside them, at each concurrency, the disk's ceiling: the atomic write alone (temporary file,
// write, fsync, rename, directory fsync) of the same bytes on as many threads, without decoding,
// checks, the loop or the database. No implementation can save faster than that, so the ceiling
// says how much of the gap to a goal the implementation could still close, and how much the
// machine forbids.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/file_saves.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/loop_load.hpp"

namespace certbench::harness {

/// The implementation name of the ceiling's points.
inline constexpr std::string_view kWriteCeiling = "write-only";

struct SaveRunSpec {
  std::string dsn;
  std::string schema;
  std::filesystem::path dir;            ///< where files go (must exist); the caller removes it
  std::vector<std::string> impls = file_save_implementation_names();
  std::vector<unsigned> concurrency{1, 2, 4, 8, 16, 32, 64};
  std::chrono::milliseconds duration_per_point{1000};  ///< split into `repetitions` interleaved windows
  unsigned repetitions = 3;  ///< per point: each repetition's throughput is a sample of the interval
  [[nodiscard]] std::chrono::milliseconds duration_per_repetition() const {
    return duration_per_point / std::max(1u, repetitions);
  }
  std::vector<SaveFunction> functions{SaveFunction::base64_image};
  std::size_t image_bytes = 200'000;    ///< the PNG of save_base64_image (before base64)
  std::size_t file_bytes = 200'000;     ///< the PDF of save_certificate_file
  bool write_ceiling = true;            ///< measure the disk's ceiling at each concurrency too
  unsigned max_ceiling_threads = 64;    ///< the ceiling's threads: the concurrency, at most this
  SaveOptions options;                  ///< fsync, pool threads, …
  unsigned db_sessions = 4;             ///< the recorder's database threads
  /// Each request records the saved file's path on its certificate row after the save (the
  /// backend's request). Off: the save alone, against the disk's ceiling — PostgreSQL runs on the
  /// same cores here, so its side of the update is CPU the write-only ceiling does not pay
  /// (docs/file-saves.md). A run without it marks all its series, the ceiling's too, "recorded": 0.
  bool record = true;
};

struct SavePoint {
  SaveFunction function = SaveFunction::base64_image;
  std::string impl;                     ///< an implementation, or kWriteCeiling (no lag figures then)
  LoopLoadResult load;
};

/// Every (path, concurrency, implementation) point, implementations (and the ceiling, last)
/// interleaved at each concurrency.
/// `progress` hears which point is under way. Throws if a point's requests failed. Empty when the
/// dataset has no certificate with an image (nothing to save for).
std::vector<SavePoint> measure_saves(const SaveRunSpec& spec, const std::function<void(std::string_view)>& progress = {});

/// A PNG of `bytes` bytes as a client sends it: `data:image/png;base64,…`. The PNG signature and an
/// IHDR chunk, then deterministic incompressible bytes (like a photograph's compressed data).
std::string realistic_png_data_url(std::size_t bytes);

/// A certificate PDF of `bytes` bytes: the PDF header, deterministic incompressible bytes (the
/// compressed page streams), the end-of-file marker.
std::string realistic_pdf(std::size_t bytes);

}  // namespace certbench::harness
