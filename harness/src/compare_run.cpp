#include "certbench/harness/compare_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "certbench/core/errors.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/rounds.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/results/statistics.hpp"

namespace certbench::harness {

std::vector<std::string> compared_implementations(Listing listing) {
  std::vector<std::string> out;
  for (auto name : listing_implementations(listing))
    // The per-kind variants are candidates the run weighs, not the product's path, and a
    // base build from before them has no such implementation.
    if (name != "naive" && name != "review" && name != "pipelined" && name != "parallel") out.emplace_back(name);
  return out;
}

namespace {

// One side's seconds per call, after the worker's own untimed first call of the page: the fastest
// of a few short batches, since a busy machine only ever makes a batch slower.
double calibrate(WorkerClient& w, Listing listing, const std::string& impl, std::int64_t user, const PageRequest& page,
                 std::uint64_t& rows) {
  double fastest = w.list(listing, impl, user, page, 1).seconds_per_call;
  for (int i = 0; i < 3; ++i) {
    const auto t = w.list(listing, impl, user, page, 2);
    fastest = std::min(fastest, t.seconds_per_call);
    rows = t.rows;
  }
  return fastest;
}

}  // namespace

CompareResult measure_compare(const CompareRunSpec& spec, const std::function<void(std::string_view)>& progress) {
  CompareResult out;
  const std::int64_t user = impl_common::busiest_owner(spec.dsn, spec.schema);
  {  // The builds checked, and each pair's batch sized, on a first pair of workers.
    WorkerClient base(spec.base_binary);
    WorkerClient head(spec.head_binary);
    base.open(spec.dsn, spec.schema);
    head.open(spec.dsn, spec.schema);
    out.base = base.build();
    out.head = head.build();
    std::error_code ec;  // this build's own path, not /proc/self/exe, in the record
    if (const auto self = std::filesystem::read_symlink(spec.head_binary, ec); !ec) out.head.binary = self.string();
    for (Listing listing : spec.listings)
      for (const auto& impl : compared_implementations(listing)) {
        if (progress) progress(fmt::format("{} {}, base against head: sizing the batches", to_string(listing), impl));
        CompareMeasurement m;
        m.listing = listing;
        m.impl = impl;
        std::uint64_t base_rows = 0, head_rows = 0;
        const double call = std::min(calibrate(base, listing, impl, user, spec.page, base_rows),
                                     calibrate(head, listing, impl, user, spec.page, head_rows));
        if (base_rows != head_rows)
          throw InputError(fmt::format("{} {}: the base build returns {} rows, this build {}: they answer differently, "
                                       "so their timings do not compare",
                                       to_string(listing), impl, base_rows, head_rows));
        const double target = std::chrono::duration<double>(spec.min_batch).count();
        m.batch = call <= 0 ? 1000 : static_cast<std::size_t>(std::clamp(std::ceil(target / call), 1.0, 100'000.0));
        out.pairs.push_back(std::move(m));
      }
  }
  // Blocks: each on two fresh worker processes, started in alternating order, which then measure
  // every pair in turn. Two backends differ by 20-60% on a small machine (where the scheduler puts
  // each relative to its client), a bias that stays for a session's life and that no test on one
  // session's rounds can tell from a regression; a worker process's own placement and memory
  // layout stay for its life the same way. Across blocks both are noise. In a block, round i asks
  // each worker for one batch, the order alternating (rounds.hpp); a side's sample is its block's
  // median round, so the gate's test and interval run over blocks, paired. The harness's own clock
  // around a batch includes the pipe: only the worker's figure is kept.
  const unsigned blocks = std::max(1u, spec.blocks);
  for (unsigned b = 0; b < blocks; ++b) {
    const bool base_first = b % 2 == 0;
    std::optional<WorkerClient> workers[2];  // [0] base, [1] head
    for (const std::size_t side : {base_first ? 0u : 1u, base_first ? 1u : 0u})
      workers[side].emplace(side == 0 ? spec.base_binary : spec.head_binary);
    WorkerClient* order[2] = {&*workers[0], &*workers[1]};
    if (!base_first) std::swap(order[0], order[1]);
    for (WorkerClient* w : order) w->open(spec.dsn, spec.schema);
    for (auto& m : out.pairs) {
      if (progress)
        progress(fmt::format("{} {}, base against head (block {} of {})", to_string(m.listing), m.impl, b + 1, blocks));
      // A session opens at its worker's first call, and where its backend lands depends on what
      // ran just before: opened in the rounds, the second side's backend always started right
      // after the first side's batch, which measured 1.13-1.22x slower on one listing in 9 A/A
      // runs of 10 (the bias followed the position when the sides swapped). Opened at the block's
      // first call of each implementation, here, in the block's order, no side always comes second.
      for (WorkerClient* w : order) w->list(m.listing, m.impl, user, spec.page, 1);
      std::vector<double> block[2];
      std::vector<RoundSubject> subjects(2);
      for (std::size_t side = 0; side < 2; ++side) {
        WorkerClient& w = *workers[side];
        auto& samples = block[side];
        subjects[side].calls = [&w, &samples, &m, user, &spec](std::size_t, std::size_t count) {
          samples.push_back(w.list(m.listing, m.impl, user, spec.page, count).seconds_per_call);
        };
        subjects[side].batch = m.batch;
        subjects[side].warmup_calls = 0;  // the worker's first call of a page on a session is untimed
      }
      RoundsSpec rs;
      rs.budget = spec.budget_per_pair / blocks;
      rs.min_rounds = rs.min_rounds_slow = spec.min_rounds_per_block;
      rs.max_rounds = std::max(spec.max_rounds / blocks, spec.min_rounds_per_block);
      run_rounds(subjects, rs);
      m.base_seconds.push_back(results::percentile(block[0], 0.5));
      m.head_seconds.push_back(results::percentile(block[1], 0.5));
    }
  }
  return out;
}

}  // namespace certbench::harness
