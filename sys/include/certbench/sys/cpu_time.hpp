#pragma once
// The calling thread's CPU time: what the anatomy of a call and the database wrapper read around
// the work they attribute.
//
// Thread safety: reads the calling thread's own clock.
namespace certbench::sys {

/// The calling thread's CPU time so far, user and system, in seconds (CLOCK_THREAD_CPUTIME_ID: a
/// system call, a fraction of a microsecond).
double thread_cpu_seconds() noexcept;

}  // namespace certbench::sys
