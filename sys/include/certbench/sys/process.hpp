#pragma once
// Child processes: PostgreSQL's initdb and postgres (run as an unprivileged user when we are root),
// pgbench, and the certbench binary itself in tests.
#include <chrono>
#include <cstdint>
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

/// A child that speaks a line protocol on its stdin and stdout (certbench's worker): lines are
/// sent whole, answers read with a deadline, so that a child that says nothing cannot hang us.
/// - Its stderr is kept (the last 4 KiB) to quote when it fails.
/// - It runs in its own process group (a terminal's Ctrl-C reaches only us; we end it) and gets
///   SIGTERM when the thread that started it ends.
/// - The destructor closes its stdin, waits up to 2 s for it to exit, then kills it; it never
///   leaves a zombie.
/// Thread safety: one thread at a time.
class LineProcess {
 public:
  /// Starts argv[0] (a path, no PATH search) with `argv`; throws EnvironmentError when it cannot.
  explicit LineProcess(std::vector<std::string> argv);
  ~LineProcess();
  LineProcess(const LineProcess&) = delete;
  LineProcess& operator=(const LineProcess&) = delete;

  /// Sends `line` and a newline; false when the child no longer reads its stdin (it ended).
  bool send(std::string_view line);

  struct Read {
    enum Status { line, end, timeout } status = end;
    std::string text;  ///< the line without its newline (status line)
  };
  /// The next line of its stdout; `end` once it closed its stdout (it ended), `timeout` when no
  /// whole line came within `timeout`.
  Read read_line(std::chrono::milliseconds timeout);

  /// Its exit status (as wait_for_exit) once it ended, waiting up to `timeout`; std::nullopt
  /// while it still runs.
  std::optional<int> exit_status(std::chrono::milliseconds timeout);

  /// What it wrote on stderr so far (the last 4 KiB), trailing blank lines removed.
  std::string error_output();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  void drain_errors();
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  bool out_ended_ = false;
  std::string out_buffer_, err_buffer_;
  std::optional<int> status_;
};

/// Sends `signal` and waits up to `timeout` for the process to be gone; true if it is. A stopped
/// process is continued, to act on the signal.
bool signal_and_wait(pid_t pid, int signal, std::chrono::milliseconds timeout) noexcept;

}  // namespace certbench::sys
