// The harness's own overhead (the goal: at most 2% of every figure it reports): the same
// work timed by a bare loop and through harness::run_rounds — the measurement path of `certbench
// run`'s listing and caching scenarios — interleaved, repetition by repetition, in one process.
//
//   ns path: an in-process cache hit (impl_optimized::TtlCache, the cheapest figure run reports), in
//            batches of 1000 with one clock pair per batch, as the caching scenario times it;
//   ms path: a fixed computation of about a millisecond, one call per sample with the wall and
//            thread-CPU clock pairs around it, heap metered (in calls of its own after the
//            rounds), as the listing scenario times a call.
//
// Prints each path's median per call, bare and through the harness, and the claims table's
// harness_overhead goal judged on them (paired by repetition, with an interval); then what exact
// heap counting (jemalloc's allocation hook) costs an allocation. Exit 0 either way (it reports;
// it does not gate).
//   bench_overhead [REPETITIONS]   (default 15)
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "certbench/harness/heap_meter.hpp"
#include "certbench/harness/rounds.hpp"
#include "certbench/impl_optimized/ttl_cache.hpp"
#include "certbench/results/format.hpp"
#include "certbench/reports/terminal.hpp"
#include "certbench/results/analysis.hpp"
#include "certbench/results/statistics.hpp"

namespace {

using namespace certbench;
using Clock = std::chrono::steady_clock;

struct Figure {
  std::vector<double> bare, harness;  // seconds per call, one per repetition
};

// One repetition each way, `repetitions` times, alternating which goes first.
template <typename Calls>
Figure measure(Calls calls, std::size_t batch, bool meter_heap, unsigned repetitions, std::chrono::milliseconds budget) {
  Figure f;
  for (unsigned rep = 0; rep < repetitions; ++rep) {
    auto bare = [&] {
      std::vector<double> per_call;
      const auto deadline = Clock::now() + budget;
      std::size_t i = 0;
      while (Clock::now() < deadline || per_call.size() < 9) {
        const auto t0 = Clock::now();
        calls(i, batch);
        per_call.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / static_cast<double>(batch));
        i += batch;
      }
      f.bare.push_back(results::percentile(per_call, 0.5));
    };
    auto through = [&] {
      std::vector<harness::RoundSubject> subjects(1);
      subjects[0].calls = calls;
      subjects[0].batch = batch;
      subjects[0].meter_heap = meter_heap;
      harness::RoundsSpec spec;
      spec.budget = budget;
      harness::run_rounds(subjects, spec);
      f.harness.push_back(results::percentile(subjects[0].seconds, 0.5));
    };
    if (rep % 2 == 0) {
      bare();
      through();
    } else {
      through();
      bare();
    }
  }
  return f;
}

// The figure as two series of the results model (bare and through the harness, one sample per
// repetition, paired), judged by the claims table's harness_overhead goal.
void add(results::Run& run, const char* path, const char* what, const Figure& f) {
  for (const auto& [impl, samples] : {std::pair{"bare", &f.bare}, std::pair{"harness", &f.harness}}) {
    results::Series s;
    s.family = results::family::overhead;
    s.path = path;
    s.implementation = impl;
    s.samples[results::Metric::latency] = *samples;
    run.series.push_back(std::move(s));
  }
  const double bare = results::percentile(f.bare, 0.5), through = results::percentile(f.harness, 0.5);
  fmt::print("  {:<50} bare {:>10}  harness {:>10}  ({:+.2f}%)\n", what, results::duration(bare), results::duration(through),
             100.0 * (through - bare) / bare);
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned kRepetitions = argc > 1 ? static_cast<unsigned>(std::max(1, std::atoi(argv[1]))) : 15;
  fmt::print("the harness's overhead against a bare loop (medians of {} interleaved repetitions):\n", kRepetitions);

  // ns path: cache hits, 1000 per sample.
  impl_optimized::TtlCache<std::int64_t, std::string> cache;
  for (std::int64_t k = 0; k < 50; ++k)
    cache.get(k, [k] { return std::make_shared<const std::string>(200, static_cast<char>('a' + k % 26)); });
  auto hits = [&cache](std::size_t first, std::size_t count) {
    for (std::size_t i = first; i < first + count; ++i) {
      auto v = cache.get(static_cast<std::int64_t>(i % 50), [] { return std::make_shared<const std::string>(); });
      asm volatile("" : : "r"(v.get()) : "memory");
    }
  };
  results::Run run;
  add(run, "cache_hit_batches", "ns path: an in-process cache hit, batches of 1000",
      measure(hits, 1000, false, kRepetitions, std::chrono::milliseconds(200)));

  // ms path: about a millisecond of fixed work, metered like a listing call.
  auto work = [](std::size_t first, std::size_t count) {
    for (std::size_t c = 0; c < count; ++c) {
      std::uint64_t x = first + c;
      for (int i = 0; i < 1'000'000; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      asm volatile("" : : "r"(x) : "memory");
    }
  };
  add(run, "fixed_work_metered", "ms path: fixed work, one call per sample, heap metered",
      measure(work, 1, true, kRepetitions, std::chrono::milliseconds(200)));
  std::vector<results::ClaimEntry> goal;
  for (const auto& e : results::claims_table())
    if (e.family == results::family::overhead) goal.push_back(e);
  run.verdicts = results::judge(run, goal);
  reports::print_verdicts(run);

  // What exact heap counting costs, and why the heap is metered in calls of their own: the same
  // allocations (kAllocations a call: a page's rows built and dropped) without and with jemalloc's
  // allocation hook, interleaved.
  constexpr double kAllocations = 20 * 101;
  auto allocating = [](std::size_t first) {
    for (int row = 0; row < 20; ++row) {
      std::vector<std::string> fields;
      fields.reserve(100);  // 101 allocations a row (the vector, 100 strings): kAllocations in all
      for (std::size_t field = 0; field < 100; ++field) fields.emplace_back(32 + (first + field) % 200, 'x');
      asm volatile("" : : "r"(fields.data()) : "memory");
    }
  };
  std::vector<double> without, with;
  auto per_call = [&allocating] {
    std::vector<double> v;
    const auto deadline = Clock::now() + std::chrono::milliseconds(200);
    for (std::size_t i = 0; Clock::now() < deadline || v.size() < 9; ++i) {
      const auto t0 = Clock::now();
      allocating(i);
      v.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    return results::percentile(v, 0.5);
  };
  for (unsigned rep = 0; rep < kRepetitions; ++rep) {
    without.push_back(per_call());
    const harness::ExactHeap exact;
    with.push_back(per_call());
  }
  const double a = results::percentile(without, 0.5), b = results::percentile(with, 0.5);
  fmt::print("\nexact heap counting (jemalloc's allocation hook; on only in metered calls, never in timed ones):\n"
             "  {:.0f} allocations a call  without {:>10}  with {:>10}  ({:+.0f} ns an allocation)\n", kAllocations,
             results::duration(a), results::duration(b), (b - a) / kAllocations * 1e9);
  return 0;
}
