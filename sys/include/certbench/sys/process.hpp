#pragma once
// Child processes: PostgreSQL's initdb and postgres (run as an unprivileged user when we are root),
// pgbench, and the certbench binary itself in tests.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "certbench/sys/users.hpp"

namespace certbench::sys {

struct SpawnOptions {
  std::vector<std::string> argv;             ///< argv[0] is the program path (no PATH search)
  std::optional<UserIdentity> run_as;        ///< drop to this user in the child (needs root)
  std::string output_path;                   ///< stdout+stderr appended to this file; "" = inherit
  bool own_process_group = false;            ///< keep a terminal's Ctrl-C from reaching the child
  bool new_session = false;                  ///< setsid(): the child outlives us (persistent cluster)
  int parent_death_signal = 0;               ///< signal the child gets when the spawning thread dies
};

/// Starts a child; throws EnvironmentError if it cannot be started.
pid_t spawn(const SpawnOptions& options);

/// Exit status of a finished child: its exit code, or 128 + signal number.
int wait_for_exit(pid_t pid);

/// Like wait_for_exit but returns std::nullopt if the child is still running.
std::optional<int> try_wait(pid_t pid);

/// True if a process with this pid exists and is not a zombie.
bool process_alive(pid_t pid) noexcept;

/// The process start time (clock ticks since boot, /proc/PID/stat field 22): with the pid it
/// identifies a process even after the pid is reused. std::nullopt if there is no such process.
std::optional<unsigned long long> process_start_time(pid_t pid) noexcept;

/// The executable name (/proc/PID/comm) of a process, "" if unknown.
std::string process_name(pid_t pid);

struct RunResult {
  int exit_code = 0;     ///< as wait_for_exit
  std::string out;       ///< captured stdout
  std::string err;       ///< captured stderr
};

/// Runs a program to completion, capturing stdout and stderr separately (stdin is /dev/null).
/// `extra_env` entries ("NAME=value") are added to the environment; `unset_env` names removed.
RunResult run_capture(const std::vector<std::string>& argv,
                      const std::vector<std::string>& extra_env = {},
                      const std::vector<std::string>& unset_env = {});

/// The program `name` on $PATH (or /usr/bin), as an absolute path; std::nullopt if there is none.
std::optional<std::string> find_program(std::string_view name);

/// Sends `signal` and waits up to `timeout` for the process to be gone; true if it is.
bool signal_and_wait(pid_t pid, int signal, std::chrono::milliseconds timeout) noexcept;

}  // namespace certbench::sys
