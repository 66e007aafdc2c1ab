#pragma once
// The run's own directory for saved files (run, saves, serve): made under --save-dir (default
// /tmp), removed afterwards — also on a shutdown signal — unless the user keeps it. One that a
// command killed outright (SIGKILL) left behind is removed by the next command that makes one
// there: it carries an owner file naming its process (sys::stale_throwaway_dirs). A kept one has
// a name of its own, and no later command touches it.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/shutdown.hpp"

namespace certbench::cli {

class SaveDirectory {
 public:
  static constexpr std::string_view kPrefix = "certbench-saves-";
  static constexpr std::string_view kKeptPrefix = "certbench-kept-saves-";

  SaveDirectory(const std::string& parent, bool keep) : dir_(make(parent, keep)) {
    // On a signal the saves may still be writing into it while it is removed (ENOTEMPTY): try
    // again until it is gone, for up to two seconds.
    if (!keep) cleanup_.emplace([d = dir_] {
      for (int attempt = 0; attempt < 40; ++attempt) {
        std::error_code ec;
        std::filesystem::remove_all(d, ec);
        if (!std::filesystem::exists(d, ec)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    });
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return dir_; }

 private:
  static std::filesystem::path make(const std::string& parent, bool keep) {
    const std::filesystem::path base = parent.empty() ? sys::throwaway_parent() : std::filesystem::path(parent);
    if (!std::filesystem::is_directory(base)) throw InputError("--save-dir " + base.string() + " is not a directory");
    if (keep) return sys::make_unique_dir(base, kKeptPrefix);
    for (const auto& stale : sys::stale_throwaway_dirs(base, kPrefix)) {
      // Only one whose owner file names a process that has gone: a folder without one may hold
      // files a user kept, and is never removed.
      if (!std::filesystem::exists(stale / "owner")) continue;
      std::error_code ec;
      std::filesystem::remove_all(stale, ec);
    }
    auto dir = sys::make_unique_dir(base, kPrefix);
    sys::write_file_atomic(dir / "owner", sys::owner_line());
    return dir;
  }
  std::filesystem::path dir_;
  std::optional<sys::ScopedCleanup> cleanup_;
};

}  // namespace certbench::cli
