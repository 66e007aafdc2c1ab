#include "certbench/harness/rounds.hpp"

#include <algorithm>
#include <optional>

#include "certbench/db/connection.hpp"
#include "certbench/harness/heap_meter.hpp"
#include "certbench/sys/cpu_time.hpp"

namespace certbench::harness {

unsigned run_rounds(std::vector<RoundSubject>& subjects, const RoundsSpec& spec) {
  using Clock = std::chrono::steady_clock;
  const sys::CpuMeter cpu_meter;  // the wrapper's and the decoding's parts of each call's CPU
  Clock::duration slowest{};
  std::vector<bool> read_server(subjects.size(), false);
  for (std::size_t k = 0; k < subjects.size(); ++k) {
    auto& s = subjects[k];
    for (std::size_t i = 0; i < s.warmup_calls; ++i) {
      if (s.before) s.before();
      const auto t0 = Clock::now();
      s.calls(i, 1);
      const auto took = Clock::now() - t0;
      slowest = std::max(slowest, took);
      if (spec.server_time && took >= spec.server_time_from) read_server[k] = true;
      if (spec.heartbeat) spec.heartbeat();
    }
  }
  if (spec.after_warmup) spec.after_warmup();
  const unsigned min_rounds = slowest < spec.slow_call ? spec.min_rounds : spec.min_rounds_slow;
  const auto deadline = Clock::now() + spec.budget;
  std::size_t index = 0;
  unsigned round = 0;
  for (; round < std::max(min_rounds, 1u) || (Clock::now() < deadline && round < spec.max_rounds); ++round)
    // Each round starts with the next subject, so that none is always first (after a pause, with
    // cold caches) or always after the same neighbour.
    for (std::size_t k = 0; k < subjects.size(); ++k) {
      const std::size_t which = (k + round) % subjects.size();
      auto& s = subjects[which];
      double seconds = 0, cpu = 0, statement_cpu = 0, decode_cpu = 0, server_exec = 0, server_plan = 0;
      std::uint64_t decode_spans = 0;
      bool server_known = read_server[which], plan_known = true;
      auto timed = [&](std::size_t first, std::size_t count) {
        const auto server0 = server_known ? spec.server_time() : std::nullopt;
        const double c0 = sys::thread_cpu_seconds(), s0 = sys::cpu_part_seconds(sys::CpuPart::statement),
                     d0 = sys::cpu_part_seconds(sys::CpuPart::decode);
        const auto n0 = sys::cpu_part_spans(sys::CpuPart::decode);
        const auto t0 = Clock::now();
        s.calls(first, count);
        const auto t1 = Clock::now();
        cpu += sys::thread_cpu_seconds() - c0;
        statement_cpu += sys::cpu_part_seconds(sys::CpuPart::statement) - s0;
        decode_cpu += sys::cpu_part_seconds(sys::CpuPart::decode) - d0;
        decode_spans += sys::cpu_part_spans(sys::CpuPart::decode) - n0;
        seconds += std::chrono::duration<double>(t1 - t0).count();
        if (!server_known) return;
        const auto server1 = spec.server_time();
        if (!server0 || !server1) {
          server_known = false;
          return;
        }
        const ServerTime spent = *server1 - *server0;
        server_exec += spent.exec_seconds;
        if (spent.plan_seconds) server_plan += *spent.plan_seconds;
        else plan_known = false;
      };
      if (s.before) {  // call by call, each after its untimed preparation
        for (std::size_t n = 0; n < s.batch; ++n) {
          s.before();
          timed(index++, 1);
        }
      } else {
        timed(index, s.batch);
        index += s.batch;
      }
      s.seconds.push_back(seconds / static_cast<double>(s.batch));
      s.cpu_seconds.push_back(cpu / static_cast<double>(s.batch));
      s.statement_cpu_seconds.push_back(statement_cpu / static_cast<double>(s.batch));
      if (decode_spans > 0) s.decode_cpu_seconds.push_back(decode_cpu / static_cast<double>(s.batch));
      if (server_known) {
        s.server_exec_seconds.push_back(server_exec / static_cast<double>(s.batch));
        if (plan_known) s.server_plan_seconds.push_back(server_plan / static_cast<double>(s.batch));
      }
      s.calls_made += s.batch;
      if (spec.heartbeat) spec.heartbeat();
    }
  if (spec.after_rounds) spec.after_rounds();

  // The heap, from calls of their own: exact counting slows every allocation, so no timed call
  // runs under it. Interleaved like the rounds, the same number for every subject.
  const bool metered = std::any_of(subjects.begin(), subjects.end(), [](const RoundSubject& s) { return s.meter_heap; });
  if (!metered || !HeapMeter::available()) return round;
  const unsigned heap_calls = slowest < spec.slow_call ? spec.heap_calls : spec.heap_calls_slow;
  const ExactHeap exact;
  HeapMeter heap;
  for (unsigned n = 0; n < heap_calls; ++n)
    for (std::size_t k = 0; k < subjects.size(); ++k) {
      auto& s = subjects[(k + n) % subjects.size()];
      if (!s.meter_heap) continue;
      if (s.before) s.before();
      heap.start();
      s.calls(index++, 1);
      if (const auto peak = heap.peak()) s.peak_heap.push_back(static_cast<double>(*peak));
      if (const auto allocations = heap.allocations()) s.allocations.push_back(static_cast<double>(*allocations));
      if (const auto bytes = heap.bytes_allocated()) s.bytes_allocated.push_back(static_cast<double>(*bytes));
      if (spec.heartbeat) spec.heartbeat();
    }
  return round;
}

}  // namespace certbench::harness
