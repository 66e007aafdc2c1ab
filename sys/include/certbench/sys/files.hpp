#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "certbench/sys/users.hpp"

namespace certbench::sys {

/// Creates a fresh private directory `<parent>/<prefix>XXXXXX` (mode 0700); throws on failure.
std::filesystem::path make_unique_dir(const std::filesystem::path& parent, std::string_view prefix);

/// Hands a directory tree to `owner` (when we are root and an owner is given).
void give_tree_to(const std::filesystem::path& dir, const std::optional<UserIdentity>& owner);

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

/// The directories `<parent>/<prefix>*` that runs killed outright left behind: real directories
/// (never a link) owned by this user or by `also_owned_by`, whose owner file names a process that
/// has gone — or that have no owner file and were not touched for ten minutes (one being made
/// right now has none yet).
std::vector<std::filesystem::path> stale_throwaway_dirs(const std::filesystem::path& parent, std::string_view prefix,
                                                        std::optional<uid_t> also_owned_by = std::nullopt);

}  // namespace certbench::sys
