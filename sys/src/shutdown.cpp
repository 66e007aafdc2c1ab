#include "certbench/sys/shutdown.hpp"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>

namespace certbench::sys {
namespace {
std::mutex mutex;
std::map<int, std::function<void()>> cleanups;
int next_handle = 1;
std::atomic<bool> requested{false};

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

// The cleanups, newest first, then `message` on stderr and the exit. The mutex stays held: a
// second shutdown (a signal during a watchdog's) waits here until the process is gone.
[[noreturn]] void run_cleanups_and_exit(int exit_code, std::string_view message) noexcept {
  std::lock_guard lock(mutex);
  for (auto it = cleanups.rbegin(); it != cleanups.rend(); ++it) {
    try {
      it->second();
    } catch (...) {
    }
  }
  if (!message.empty()) {
    std::string line(message);
    line += '\n';
    (void)!write(STDERR_FILENO, line.data(), line.size());
  }
  _exit(exit_code);
}
}  // namespace

void install_shutdown_handler() {
  sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    requested = true;
    const char msg[] = "certbench: interrupted, cleaning up\n";
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    run_cleanups_and_exit(128 + sig, "");
  }).detach();
}

int register_cleanup(std::function<void()> cleanup) {
  std::lock_guard lock(mutex);
  cleanups.emplace(next_handle, std::move(cleanup));
  return next_handle++;
}

void unregister_cleanup(int handle) {
  std::lock_guard lock(mutex);
  cleanups.erase(handle);
}

bool shutdown_requested() noexcept { return requested; }

void shut_down(int exit_code, std::string_view message) noexcept {
  requested = true;
  run_cleanups_and_exit(exit_code, message);
}

struct Watchdog::State {
  std::mutex mutex;
  std::condition_variable changed;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
  bool done = false;
  bool stalled = false;  // on_stall under way
};

Watchdog::Watchdog(std::chrono::milliseconds limit, std::function<void()> on_stall)
    : state_(std::make_shared<State>()) {
  std::thread([state = state_, limit, on_stall = std::move(on_stall)] {
    std::unique_lock lock(state->mutex);
    while (!state->done) {
      const auto due = state->last + limit;
      if (std::chrono::steady_clock::now() < due) {
        state->changed.wait_until(lock, due);
        continue;
      }
      state->stalled = true;
      lock.unlock();
      on_stall();
      lock.lock();
      state->stalled = false;
      break;
    }
    state->done = true;
    state->changed.notify_all();
  }).detach();
}

Watchdog::~Watchdog() {
  std::unique_lock lock(state_->mutex);
  state_->done = true;
  state_->changed.notify_all();
  state_->changed.wait(lock, [this] { return !state_->stalled; });  // what on_stall uses stays alive
}

void Watchdog::kick() noexcept {
  std::lock_guard lock(state_->mutex);
  state_->last = std::chrono::steady_clock::now();
}

}  // namespace certbench::sys
