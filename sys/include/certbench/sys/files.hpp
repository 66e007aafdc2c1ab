#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "certbench/sys/users.hpp"

namespace certbench::sys {

/// Creates a fresh private directory `<parent>/<prefix>XXXXXX` (mode 0700); throws on failure.
std::filesystem::path make_unique_dir(const std::filesystem::path& parent, std::string_view prefix);

/// Hands a directory tree to `owner` (when we are root and an owner is given).
void give_tree_to(const std::filesystem::path& dir, const std::optional<UserIdentity>& owner);

/// Writes a whole file via a temporary in the same directory and rename(): readers never see a
/// partial file. Throws EnvironmentError naming the path on failure.
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

/// The whole file, or std::nullopt if it cannot be read.
std::optional<std::string> read_file(const std::filesystem::path& path);

/// Throws EnvironmentError unless `user` can enter every directory from / down to `dir`
/// (PostgreSQL running as an unprivileged user needs that for its data directory).
void require_traversable(const std::filesystem::path& dir, const UserIdentity& user);

/// The last `lines` non-empty lines of a log file, joined by " | " for a one-line message;
/// "(no output)" when there are none.
std::string tail_of_file(const std::filesystem::path& path, std::size_t lines);

/// Where throwaway servers keep their directories: $CERTBENCH_TMPDIR, else /tmp.
std::filesystem::path throwaway_parent();

/// Who owns a throwaway directory: this process's pid and start time, as one line for a file
/// named "owner" inside it.
std::string owner_line();

/// True if the process named by the owner file (owner_line) still runs: same pid, same start
/// time, so a reused pid does not count. False if the file is missing or unreadable.
bool owner_alive(const std::filesystem::path& owner_file);

}  // namespace certbench::sys
