#pragma once
// The run's own directory for saved files (run and saves): made under --save-dir (default /tmp),
// removed afterwards — also on a shutdown signal — unless the user keeps it.
#include <filesystem>
#include <optional>
#include <string>

#include "certbench/core/errors.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/shutdown.hpp"

namespace certbench::cli {

class SaveDirectory {
 public:
  SaveDirectory(const std::string& parent, bool keep) : dir_(make(parent)) {
    if (!keep) cleanup_.emplace([d = dir_] {
      std::error_code ec;
      std::filesystem::remove_all(d, ec);
    });
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return dir_; }

 private:
  static std::filesystem::path make(const std::string& parent) {
    const std::filesystem::path base = parent.empty() ? sys::throwaway_parent() : std::filesystem::path(parent);
    if (!std::filesystem::is_directory(base)) throw InputError("--save-dir " + base.string() + " is not a directory");
    return sys::make_unique_dir(base, "certbench-saves-");
  }
  std::filesystem::path dir_;
  std::optional<sys::ScopedCleanup> cleanup_;
};

}  // namespace certbench::cli
