#pragma once
// The calling thread's CPU time, and the parts of it that code marks: what the anatomy of a call
// reads around the work it attributes (the database wrapper's statements, an implementation's
// decoding of rows).
//
// Thread safety: every figure is the calling thread's own.
#include <cstddef>
#include <cstdint>

namespace certbench::sys {

/// The calling thread's CPU time so far, user and system, in seconds (CLOCK_THREAD_CPUTIME_ID: a
/// system call in a VM, about a microsecond or more).
double thread_cpu_seconds() noexcept;

/// A part of a call's CPU time that the code doing it marks with CpuSpans.
enum class CpuPart : std::size_t {
  statement,  ///< inside db::Connection's statement calls: libpq sending, waiting, receiving, parsing
  decode,     ///< an implementation decoding result rows into CertificateRows (where it marks them)
};

/// The CPU time the calling thread has spent inside CpuSpans of `part` while a CpuMeter was alive
/// on it. Read before and after a call made under a meter, it splits the call's CPU.
double cpu_part_seconds(CpuPart part) noexcept;

/// How many CpuSpans of `part` the calling thread has closed under a meter: none during a call
/// means the code it ran does not mark that part (absent, not zero).
std::uint64_t cpu_part_spans(CpuPart part) noexcept;

/// While one is alive on a thread, CpuSpans on that thread read its CPU clock at their start and
/// end. Without one they read nothing: the clock costs about as much as a small statement's whole
/// client side, so only a measurement that reports the split pays for it. Nested meters share one
/// count. Destroy it on the thread that made it.
class CpuMeter {
 public:
  CpuMeter() noexcept;
  ~CpuMeter();
  CpuMeter(const CpuMeter&) = delete;
  CpuMeter& operator=(const CpuMeter&) = delete;
};

/// Adds the calling thread's CPU time during its lifetime to cpu_part_seconds(part), when a
/// CpuMeter is alive at its start.
class CpuSpan {
 public:
  explicit CpuSpan(CpuPart part) noexcept;
  ~CpuSpan();
  CpuSpan(const CpuSpan&) = delete;
  CpuSpan& operator=(const CpuSpan&) = delete;

 private:
  CpuPart part_;
  bool metered_;
  double start_;
};

}  // namespace certbench::sys
