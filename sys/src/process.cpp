#include "certbench/sys/process.hpp"

#include <cerrno>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "certbench/core/errors.hpp"

extern char** environ;

namespace certbench::sys {
namespace {

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void exec_child(const SpawnOptions& o, char* const* argv, char* const* envp,
                             int out_fd, int err_fd, pid_t parent) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // our shutdown thread blocks signals; children must not
  if (o.new_session) setsid();
  else if (o.own_process_group) setpgid(0, 0);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) {
    dup2(devnull, STDIN_FILENO);
    if (devnull != STDIN_FILENO) close(devnull);
  }
  if (out_fd >= 0) dup2(out_fd, STDOUT_FILENO);
  if (err_fd >= 0) dup2(err_fd, STDERR_FILENO);
  if (o.run_as) {
    if (setgroups(0, nullptr) != 0 || setgid(o.run_as->gid) != 0 || setuid(o.run_as->uid) != 0)
      _exit(126);
  }
  if (o.parent_death_signal != 0) {
    prctl(PR_SET_PDEATHSIG, o.parent_death_signal);  // after setuid, which clears it
    if (getppid() != parent) _exit(1);                // the parent died before we asked
  }
  execve(argv[0], argv, envp);
  _exit(127);
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

pid_t spawn(const SpawnOptions& options) {
  if (options.argv.empty()) throw std::logic_error("spawn: empty argv");
  std::vector<std::string> args = options.argv;
  auto argv = c_strings(args);
  int out_fd = -1;
  if (!options.output_path.empty()) {
    out_fd = open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out_fd < 0)
      throw EnvironmentError("cannot open " + options.output_path + ": " + std::strerror(errno));
    if (options.run_as && fchown(out_fd, options.run_as->uid, options.run_as->gid) != 0) {
      // Not fatal: the child writes through the descriptor we opened.
    }
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) exec_child(options, argv.data(), environ, out_fd, out_fd, parent);
  int fork_errno = errno;
  if (out_fd >= 0) close(out_fd);
  if (pid < 0)
    throw EnvironmentError("cannot start " + options.argv[0] + ": " + std::strerror(fork_errno));
  return pid;
}

int wait_for_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 255;
  }
  return decode_status(status);
}

std::optional<int> try_wait(pid_t pid) {
  int status = 0;
  pid_t r = waitpid(pid, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  if (r < 0) return 255;  // not our child or already reaped: treat as gone
  return decode_status(status);
}

std::optional<unsigned long long> process_start_time(pid_t pid) noexcept {
  try {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) return std::nullopt;
    // Field 2 (comm) may contain spaces and parentheses: parse after the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::size_t pos = close + 2;  // now at field 3 (state)
    if (pos < stat.size() && stat[pos] == 'Z') return std::nullopt;  // zombie: as good as gone
    for (int field = 3; field < 22; ++field) {
      pos = stat.find(' ', pos);
      if (pos == std::string::npos) return std::nullopt;
      ++pos;
    }
    return std::stoull(stat.substr(pos, stat.find(' ', pos) - pos));
  } catch (...) {
    return std::nullopt;
  }
}

bool process_alive(pid_t pid) noexcept {
  if (pid <= 0) return false;
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  return process_start_time(pid).has_value();
}

std::string process_name(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

RunResult run_capture(const std::vector<std::string>& argv_in,
                      const std::vector<std::string>& extra_env,
                      const std::vector<std::string>& unset_env) {
  std::vector<std::string> args = argv_in;
  auto argv = c_strings(args);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    auto name = entry.substr(0, entry.find('='));
    bool drop = false;
    for (const auto& u : unset_env) drop = drop || name == u;
    for (const auto& x : extra_env) drop = drop || x.substr(0, x.find('=')) == name;
    if (!drop) env_strings.emplace_back(entry);
  }
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  auto envp = c_strings(env_strings);

  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw EnvironmentError(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw EnvironmentError(std::string("pipe: ") + std::strerror(err));
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    SpawnOptions none;
    exec_child(none, argv.data(), envp.data(), out_pipe[1], err_pipe[1], parent);
  }
  const int fork_errno = errno;
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw EnvironmentError("cannot start " + argv_in.at(0) + ": " + std::strerror(fork_errno));
  }
  RunResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buf[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  result.exit_code = wait_for_exit(pid);
  return result;
}

bool signal_and_wait(pid_t pid, int signal, std::chrono::milliseconds timeout) noexcept {
  if (!process_alive(pid)) return true;
  kill(pid, signal);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    (void)try_wait(pid);  // reap it if it is our child
    if (!process_alive(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return !process_alive(pid);
}

std::optional<std::string> find_program(std::string_view name) {
  const char* env = std::getenv("PATH");
  std::string path = env != nullptr && *env != '\0' ? env : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto colon = path.find(':', start);
    const std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    start = colon == std::string::npos ? path.size() + 1 : colon + 1;
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + std::string(name);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

}  // namespace certbench::sys
