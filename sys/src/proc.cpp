#include "certbench/sys/proc.hpp"

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace certbench::sys {

std::vector<pid_t> processes() {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

std::optional<ProcessStat> process_stat(pid_t pid) noexcept {
  try {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) return std::nullopt;
    // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(stat.substr(close + 1));
    ProcessStat s;
    long parent = 0;
    if (!(rest >> s.state >> parent)) return std::nullopt;
    s.parent = static_cast<pid_t>(parent);
    std::string skipped;
    for (int field = 5; field < 22; ++field) rest >> skipped;
    if (!(rest >> s.start_time)) return std::nullopt;
    return s;
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<unsigned long long> process_start_time(pid_t pid) noexcept {
  const auto s = process_stat(pid);
  if (!s || s->state == 'Z') return std::nullopt;  // a zombie is as good as gone
  return s->start_time;
}

bool process_alive(pid_t pid) noexcept {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  return process_start_time(pid).has_value();
}

std::optional<std::uint64_t> resident_bytes() noexcept {
  try {
    std::ifstream in("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    if (!(in >> size >> resident)) return std::nullopt;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  } catch (...) {
    return std::nullopt;
  }
}

std::string process_name(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

std::vector<pid_t> children_of(pid_t pid) {
  std::vector<pid_t> out;
  for (const pid_t p : processes()) {
    const auto s = process_stat(p);
    if (s && s->parent == pid) out.push_back(p);
  }
  return out;
}

}  // namespace certbench::sys
