#include "certbench/sys/shutdown.hpp"

#include <atomic>
#include <csignal>
#include <map>
#include <mutex>
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
    std::lock_guard lock(mutex);
    for (auto it = cleanups.rbegin(); it != cleanups.rend(); ++it) {
      try {
        it->second();
      } catch (...) {
      }
    }
    _exit(128 + sig);
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

}  // namespace certbench::sys
