#include "certbench/sys/files.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "certbench/core/errors.hpp"
#include "certbench/sys/proc.hpp"

namespace fs = std::filesystem;

namespace certbench::sys {

fs::path make_unique_dir(const fs::path& parent, std::string_view prefix) {
  std::string templ = (parent / (std::string(prefix) + "XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr)
    throw EnvironmentError("cannot create a directory in " + parent.string() + ": " +
                           std::strerror(errno));
  return templ;
}

void give_tree_to(const fs::path& dir, const std::optional<UserIdentity>& owner) {
  if (!owner || !running_as_root()) return;
  auto chown_one = [&](const fs::path& p) {
    if (lchown(p.c_str(), owner->uid, owner->gid) != 0)
      throw EnvironmentError("cannot hand " + p.string() + " to user " + owner->name + ": " +
                             std::strerror(errno));
  };
  chown_one(dir);
  for (const auto& entry : fs::recursive_directory_iterator(dir)) chown_one(entry.path());
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void require_traversable(const fs::path& dir, const UserIdentity& user) {
  fs::path walked;
  for (const auto& part : fs::absolute(dir).parent_path()) {
    walked /= part;
    struct stat st {};
    if (stat(walked.c_str(), &st) != 0) return;  // created later, by us
    bool ok = (st.st_mode & S_IXOTH) != 0 || (st.st_uid == user.uid && (st.st_mode & S_IXUSR)) ||
              (st.st_gid == user.gid && (st.st_mode & S_IXGRP));
    if (!ok)
      throw EnvironmentError("PostgreSQL runs as user '" + user.name + "', who cannot enter " +
                             walked.string() + "; choose a data directory under /var/tmp or /tmp");
  }
}

std::string tail_of_file(const fs::path& path, std::size_t lines) {
  auto text = read_file(path).value_or("");
  std::vector<std::string> all;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) all.push_back(line);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += (out.empty() ? "" : " | ") + all[i];
  return out.empty() ? "(no output)" : out;
}

fs::path throwaway_parent() {
  if (const char* env = std::getenv("CERTBENCH_TMPDIR"); env != nullptr && *env != '\0') return env;
  return "/tmp";
}

std::string owner_line() {
  auto start = process_start_time(getpid());
  return std::to_string(getpid()) + " " + std::to_string(start.value_or(0)) + "\n";
}

bool owner_alive(const fs::path& owner_file) {
  auto text = read_file(owner_file);
  if (!text) return false;
  std::istringstream in(*text);
  long pid = 0;
  unsigned long long start = 0;
  if (!(in >> pid >> start)) return false;
  auto actual = process_start_time(static_cast<pid_t>(pid));
  return actual && *actual == start;
}

std::vector<fs::path> stale_throwaway_dirs(const fs::path& parent, std::string_view prefix,
                                           std::optional<uid_t> also_owned_by) {
  std::vector<fs::path> stale;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const auto name = entry.path().filename().string();
    // Only real directories that we (or the user our servers run as) own: never follow a link,
    // never act on a directory someone else planted.
    if (!name.starts_with(prefix) || !entry.is_directory(ec) || entry.is_symlink(ec)) continue;
    struct stat st {};
    if (lstat(entry.path().c_str(), &st) != 0 || (st.st_uid != geteuid() && st.st_uid != also_owned_by)) continue;
    const fs::path owner = entry.path() / "owner";
    if (!fs::exists(owner)) {
      // Being created right now, or half-created long ago: only the latter is stale.
      const auto age = fs::file_time_type::clock::now() - fs::last_write_time(entry.path(), ec);
      if (ec || age < std::chrono::minutes(10)) continue;
    } else if (owner_alive(owner)) {
      continue;
    }
    stale.push_back(entry.path());
  }
  return stale;
}

}  // namespace certbench::sys
