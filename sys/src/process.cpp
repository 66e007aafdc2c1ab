#include "certbench/sys/process.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "certbench/core/errors.hpp"
#include "certbench/sys/proc.hpp"

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
                             int out_fd, int err_fd, pid_t parent, int in_fd = -1) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);  // our shutdown thread blocks signals; children must not
  if (o.new_session) setsid();
  else if (o.own_process_group) setpgid(0, 0);
  if (in_fd >= 0) {
    dup2(in_fd, STDIN_FILENO);
  } else if (int devnull = open("/dev/null", O_RDONLY); devnull >= 0) {
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

namespace {

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

LineProcess::LineProcess(std::vector<std::string> argv_in) {
  if (argv_in.empty()) throw std::logic_error("LineProcess: empty argv");
  const std::string program = argv_in.front();
  auto argv = c_strings(argv_in);
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) throw EnvironmentError(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    throw EnvironmentError(std::string("pipe: ") + std::strerror(err));
  }
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    throw EnvironmentError(std::string("pipe: ") + std::strerror(err));
  }
  SpawnOptions options;
  options.own_process_group = true;
  options.parent_death_signal = SIGTERM;
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) exec_child(options, argv.data(), environ, out_pipe[1], err_pipe[1], parent, in_pipe[0]);
  const int fork_errno = errno;
  for (int fd : {in_pipe[0], out_pipe[1], err_pipe[1]}) ::close(fd);
  in_ = in_pipe[1];
  out_ = out_pipe[0];
  err_ = err_pipe[0];
  if (pid < 0) {
    close_fd(in_);
    close_fd(out_);
    close_fd(err_);
    throw EnvironmentError("cannot start " + program + ": " + std::strerror(fork_errno));
  }
  pid_ = pid;
  fcntl(out_, F_SETFL, fcntl(out_, F_GETFL) | O_NONBLOCK);
  fcntl(err_, F_SETFL, fcntl(err_, F_GETFL) | O_NONBLOCK);
}

LineProcess::~LineProcess() {
  close_fd(in_);  // a worker ends at the end of its input
  if (!exit_status(std::chrono::milliseconds(2000))) {
    kill(pid_, SIGKILL);
    status_ = wait_for_exit(pid_);
  }
  close_fd(out_);
  close_fd(err_);
}

bool LineProcess::send(std::string_view line) {
  if (in_ < 0) return false;
  std::string data(line);
  data += '\n';
  // A child that ended would kill us with SIGPIPE: block it on this thread, and take back the
  // one our write raised, so that the write just fails with EPIPE.
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  bool ok = true;
  for (std::size_t done = 0; done < data.size();) {
    const ssize_t n = ::write(in_, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (errno == EPIPE) {
        const timespec zero{0, 0};
        while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
        }
      }
      ok = false;
      break;
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (!ok) close_fd(in_);
  return ok;
}

void LineProcess::drain_errors() {
  char buf[4096];
  while (err_ >= 0) {
    const ssize_t n = ::read(err_, buf, sizeof buf);
    if (n > 0) {
      err_buffer_.append(buf, static_cast<std::size_t>(n));
      if (err_buffer_.size() > 4096) err_buffer_.erase(0, err_buffer_.size() - 4096);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n == 0) close_fd(err_);
      return;  // EAGAIN: nothing more for now
    }
  }
}

LineProcess::Read LineProcess::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    if (const auto nl = out_buffer_.find('\n'); nl != std::string::npos) {
      Read r{Read::line, out_buffer_.substr(0, nl)};
      out_buffer_.erase(0, nl + 1);
      if (!r.text.empty() && r.text.back() == '\r') r.text.pop_back();
      return r;
    }
    if (out_ended_) {
      if (out_buffer_.empty()) return {Read::end, {}};
      Read r{Read::line, std::move(out_buffer_)};  // a last line without its newline
      out_buffer_.clear();
      return r;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {Read::timeout, {}};
    pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    const int ready = poll(fds, 2, static_cast<int>(std::min<long long>(left.count() + 1, 60'000)));  // fd -1: ignored
    if (ready < 0 && errno != EINTR) throw EnvironmentError(std::string("poll: ") + std::strerror(errno));
    if (err_ >= 0 && fds[1].revents != 0) drain_errors();
    if (fds[0].revents == 0) continue;
    const ssize_t n = ::read(out_, buf, sizeof buf);
    if (n > 0) out_buffer_.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || (errno != EINTR && errno != EAGAIN)) out_ended_ = true;
  }
}

std::optional<int> LineProcess::exit_status(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!status_) {
    status_ = try_wait(pid_);
    if (status_ || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

std::string LineProcess::error_output() {
  drain_errors();
  std::string out = err_buffer_;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ' || out.back() == '\r')) out.pop_back();
  return out;
}

bool signal_and_wait(pid_t pid, int signal, std::chrono::milliseconds timeout) noexcept {
  if (!process_alive(pid)) return true;
  kill(pid, signal);
  kill(pid, SIGCONT);  // a stopped process (SIGSTOP, a frozen server) acts on the signal once continued
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
