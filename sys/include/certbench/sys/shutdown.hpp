#pragma once
// Orderly shutdown on SIGINT, SIGTERM and SIGHUP: a dedicated thread waits for the signal, runs
// the registered cleanups (newest first — e.g. stop the embedded PostgreSQL, remove its data),
// then ends the process with 128 + the signal number. Without this, Ctrl-C would leave a
// PostgreSQL cluster behind.
#include <functional>

namespace certbench::sys {

/// Blocks the signals in the calling thread (do it first in main, before any thread starts) and
/// starts the waiting thread. Call once.
void install_shutdown_handler();

/// Registers a cleanup; returns a handle for unregister_cleanup. Cleanups must be thread-safe
/// with respect to the code they clean up after.
int register_cleanup(std::function<void()> cleanup);
void unregister_cleanup(int handle);

/// True once a shutdown signal arrived (used to keep error messages quiet while we exit).
bool shutdown_requested() noexcept;

}  // namespace certbench::sys
