#pragma once
// Orderly shutdown on SIGINT, SIGTERM and SIGHUP: a dedicated thread waits for the signal, runs
// the registered cleanups (newest first — e.g. stop the embedded PostgreSQL, remove its data),
// then ends the process with 128 + the signal number. Without this, Ctrl-C would leave a
// PostgreSQL cluster behind.
#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

namespace certbench::sys {

/// Blocks the signals in the calling thread (do it first in main, before any thread starts) and
/// starts the waiting thread. Call once.
void install_shutdown_handler();

/// Registers a cleanup; returns a handle for unregister_cleanup. Cleanups must be thread-safe
/// with respect to the code they clean up after.
int register_cleanup(std::function<void()> cleanup);
void unregister_cleanup(int handle);

/// A cleanup that runs when the scope ends and, if a shutdown signal comes first, from the
/// shutdown thread instead: e.g. remove a run's directory, stop a server this command started.
/// It may run twice (a signal during the scope's own run), so it must be idempotent.
class ScopedCleanup {
 public:
  explicit ScopedCleanup(std::function<void()> cleanup)
      : cleanup_(std::move(cleanup)), handle_(register_cleanup(cleanup_)) {}
  ~ScopedCleanup() {
    try {
      cleanup_();
    } catch (...) {  // a destructor reports nothing; the cleanup says what it could not do
    }
    unregister_cleanup(handle_);
  }
  ScopedCleanup(const ScopedCleanup&) = delete;
  ScopedCleanup& operator=(const ScopedCleanup&) = delete;

 private:
  std::function<void()> cleanup_;
  int handle_;
};

/// True once a shutdown signal arrived (used to keep error messages quiet while we exit).
bool shutdown_requested() noexcept;

/// Ends the process from any thread as a shutdown signal does: runs the registered cleanups
/// (newest first), writes `message` and a newline to stderr, and exits with `exit_code`. A signal
/// arriving meanwhile waits; the first caller's exit code stands.
[[noreturn]] void shut_down(int exit_code, std::string_view message) noexcept;

/// Watches work that may block forever on a peer that stopped answering without closing its
/// connection (a frozen database host: the kernel still acknowledges, no timeout of libpq or of the
/// server fires). kick() on every sign of progress; when `limit` passes without one, `on_stall`
/// runs on the watchdog's own thread — typically it records why and calls shut_down. Destroying
/// the watchdog stops watching (it waits for an `on_stall` under way).
class Watchdog {
 public:
  Watchdog(std::chrono::milliseconds limit, std::function<void()> on_stall);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  void kick() noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace certbench::sys
