#pragma once
// What /proc says about processes: which exist, their parent, state, start time, name and
// resident memory. One parser for /proc/PID/stat serves all of them.
#include <cstdint>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace certbench::sys {

/// Every process /proc lists now (its numeric entries), in no particular order.
std::vector<pid_t> processes();

/// The fields of /proc/PID/stat certbench reads.
struct ProcessStat {
  char state = '?';                   ///< field 3: 'R', 'S', 'T' (stopped), 'Z' (zombie), …
  pid_t parent = 0;                   ///< field 4
  unsigned long long start_time = 0;  ///< field 22: clock ticks since boot
};

/// /proc/PID/stat parsed; std::nullopt if there is no such process or it cannot be read.
std::optional<ProcessStat> process_stat(pid_t pid) noexcept;

/// True if a process with this pid exists and is not a zombie.
bool process_alive(pid_t pid) noexcept;

/// The process start time (clock ticks since boot, /proc/PID/stat field 22): with the pid it
/// identifies a process even after the pid is reused. std::nullopt if there is no such process or
/// it is a zombie.
std::optional<unsigned long long> process_start_time(pid_t pid) noexcept;

/// Bytes of this process resident in memory now (/proc/self/statm's resident pages), std::nullopt
/// if unreadable.
std::optional<std::uint64_t> resident_bytes() noexcept;

/// The executable name (/proc/PID/comm) of a process, "" if unknown.
std::string process_name(pid_t pid);

/// The processes whose parent is `pid`, e.g. a postmaster's backends.
std::vector<pid_t> children_of(pid_t pid);

}  // namespace certbench::sys
