#include "certbench/sys/cpu_time.hpp"

#include <array>
#include <time.h>

namespace certbench::sys {
namespace {
constexpr std::size_t kParts = static_cast<std::size_t>(CpuPart::decode) + 1;  // the last part + 1
thread_local std::array<double, kParts> part_seconds{};          // cpu_part_seconds()
thread_local std::array<std::uint64_t, kParts> part_spans{};     // cpu_part_spans()
thread_local unsigned meters = 0;                                // CpuMeters alive on the thread
}  // namespace

double thread_cpu_seconds() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double cpu_part_seconds(CpuPart part) noexcept { return part_seconds[static_cast<std::size_t>(part)]; }
std::uint64_t cpu_part_spans(CpuPart part) noexcept { return part_spans[static_cast<std::size_t>(part)]; }

CpuMeter::CpuMeter() noexcept { ++meters; }
CpuMeter::~CpuMeter() { --meters; }

CpuSpan::CpuSpan(CpuPart part) noexcept : part_(part), metered_(meters > 0), start_(metered_ ? thread_cpu_seconds() : 0) {}
CpuSpan::~CpuSpan() {
  if (!metered_) return;
  part_seconds[static_cast<std::size_t>(part_)] += thread_cpu_seconds() - start_;
  ++part_spans[static_cast<std::size_t>(part_)];
}

}  // namespace certbench::sys
