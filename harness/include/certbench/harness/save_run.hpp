#pragma once
// The file-save measurements (issue #5): save_base64_image with a realistic image, every
// implementation, at concurrency 1, 2, 4 … 64 on one event loop (harness/loop_load.hpp). Each
// request saves the image under its certificate's file name and records the path on the
// certificate's row (off the loop, the same for every implementation), so the file save is the
// only difference between them.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/file_saves.hpp"
#include "certbench/harness/loop_load.hpp"

namespace certbench::harness {

struct SaveRunSpec {
  std::string dsn;
  std::string schema;
  std::filesystem::path dir;            ///< where files go (must exist); the caller removes it
  std::vector<std::string> impls{"naive", "optimized", "io_uring"};
  std::vector<unsigned> concurrency{1, 2, 4, 8, 16, 32, 64};
  std::chrono::milliseconds duration_per_point{1000};
  std::size_t image_bytes = 200'000;
  SaveOptions options;                  ///< fsync, pool threads, …
  unsigned db_sessions = 4;             ///< the recorder's database threads
};

struct SavePoint {
  std::string impl;
  LoopLoadResult load;
};

/// Every (concurrency, implementation) point, implementations interleaved at each concurrency.
/// `progress` hears which point is under way. Throws if a point's requests failed. Empty when the
/// dataset has no certificate with an image (nothing to save for).
std::vector<SavePoint> measure_saves(const SaveRunSpec& spec, const std::function<void(std::string_view)>& progress = {});

/// A PNG of `bytes` bytes as a client sends it: `data:image/png;base64,…`. The PNG signature and an
/// IHDR chunk, then deterministic incompressible bytes (like a photograph's compressed data).
std::string realistic_png_data_url(std::size_t bytes);

}  // namespace certbench::harness
