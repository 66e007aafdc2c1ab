// The listing functions, every implementation, on datasets of several scales.
//
//   <review function>/<implementation>/scale:N/page:P/keyset:K
//
// Family 1, every implementation: page 1 at every scale, with a fitted growth order (BigO).
// Family 2, limited only, at the largest scale: pages 100 and 1000 by offset, 1, 100 and 1000
// by keyset. Counters per call: round_trips, statements, rows, bytes (received) and peak_heap_bytes (jemalloc).
//
// Own flags (before Google Benchmark's):
//   --certbench_dsn=DSN        a server with datasets bench_<scale> ready (certbench bench
//                              prepares them); without it a throwaway cluster is started and seeded
//   --certbench_scales=1000,…  dataset scales (default 1000)
//   --certbench_naive_max=N    skip the naive implementation above N certificates (default 1000000)
//   --certbench_goals          after the run, judge the claims table's goals on what this run measured
//   --certbench_results=FILE   write the runs as results.json (family "benchmark")
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_main.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/db/embedded_postgres.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/heap_meter.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "collecting_reporter.hpp"

namespace {

using namespace certbench;

struct Config {
  std::string dsn;
  std::vector<std::uint64_t> scales{1000};
  std::uint64_t naive_max = 1'000'000;
  bool goals = false;
  std::string results;  ///< --certbench_results=FILE: the runs as results.json
};

std::string schema_of(std::uint64_t scale) { return "bench_" + std::to_string(scale); }

// One session per (implementation, scale), made on first use and kept for the whole run.
struct Session : harness::ListingSession {
  std::int64_t busiest_user = 0;
};

Session& session(const Config& config, std::string_view impl_name, std::uint64_t scale) {
  static std::map<std::pair<std::string, std::uint64_t>, Session> sessions;
  auto& s = sessions[{std::string(impl_name), scale}];
  if (!s.db) {
    static_cast<harness::ListingSession&>(s) = harness::open_listing_session(config.dsn, schema_of(scale), impl_name);
    s.busiest_user = impl_common::busiest_owner(*s.db);
  }
  return s;
}

struct Case {
  Listing listing;
  std::string impl;
  std::uint64_t scale;
  std::int64_t page;
  bool keyset;
};

void run_case(benchmark::State& state, const Config& config, const Case& c) {
  auto& s = session(config, c.impl, c.scale);
  const std::int64_t user = s.busiest_user;
  PageRequest request{c.page, 20, std::nullopt};
  if (c.keyset) {
    // The cursor of page P: walk the P-1 pages before it (not timed).
    PageRequest walk{1, 20, std::nullopt};
    for (std::int64_t p = 1; p < c.page; ++p) {
      auto page = s.listings->list(c.listing, user, walk);
      if (!page.next) break;
      walk.after = page.next;
    }
    request.after = walk.after;
  }
  // Warm-up: statements prepared, caches filled. A page past the end measures nothing useful.
  if (s.listings->list(c.listing, user, request).rows.size() < 20 || (c.keyset && c.page > 1 && !request.after)) {
    state.SkipWithError(fmt::format("page {} is past the end of this listing at scale {}", c.page, c.scale).c_str());
    return;
  }
  s.db->reset_stats();
  for (auto _ : state) {
    auto page = s.listings->list(c.listing, user, request);
    benchmark::DoNotOptimize(page.rows.data());
  }
  const auto st = s.db->stats();
  // The heap from calls of their own after the timed ones: exact counting slows every allocation.
  std::uint64_t peak = 0;
  if (harness::HeapMeter::available()) {
    const harness::ExactHeap exact;
    harness::HeapMeter heap;
    for (int n = 0; n < 3; ++n) {
      heap.start();
      auto page = s.listings->list(c.listing, user, request);
      benchmark::DoNotOptimize(page.rows.data());
      peak = std::max(peak, heap.peak().value_or(0));
    }
  }
  using benchmark::Counter;
  state.counters["round_trips"] = Counter(static_cast<double>(st.round_trips), Counter::kAvgIterations);
  state.counters["statements"] = Counter(static_cast<double>(st.statements), Counter::kAvgIterations);
  state.counters["rows"] = Counter(static_cast<double>(st.rows_received), Counter::kAvgIterations);
  state.counters["bytes"] = Counter(static_cast<double>(st.bytes_received), Counter::kAvgIterations);
  if (harness::HeapMeter::available()) state.counters["peak_heap_bytes"] = static_cast<double>(peak);
  state.SetComplexityN(static_cast<std::int64_t>(c.scale));
}

void register_all(const Config& config) {
  const std::uint64_t largest = config.scales.back();
  for (Listing l : kListings) {
    for (auto impl : harness::listing_implementations(l)) {
      auto* family = benchmark::RegisterBenchmark(
          fmt::format("{}/{}", to_string(l), impl).c_str(), [&config, l, impl](benchmark::State& st) {
            run_case(st, config, {l, std::string(impl), static_cast<std::uint64_t>(st.range(0)), 1, false});
          });
      // Real time: the work happens in PostgreSQL, not on this thread's CPU.
      family->ArgNames({"scale", "page", "keyset"})->Unit(benchmark::kMicrosecond)->UseRealTime()->Complexity(benchmark::oAuto);
      if (config.goals) bench::with_certbench_median(family);
      for (auto scale : config.scales) {
        if (impl == "naive" && scale > config.naive_max) {
          std::cerr << fmt::format("skipping {}/naive at scale {}: above --certbench_naive_max={} "
                                   "(one call loads every row; raise it to include)\n",
                                   to_string(l), scale, config.naive_max);
          continue;
        }
        family->Args({static_cast<std::int64_t>(scale), 1, 0});
      }
    }
    auto* depth = benchmark::RegisterBenchmark(
        fmt::format("{}/limited", to_string(l)).c_str(), [&config, l](benchmark::State& st) {
          run_case(st, config, {l, "limited", static_cast<std::uint64_t>(st.range(0)), st.range(1), st.range(2) == 1});
        });
    depth->ArgNames({"scale", "page", "keyset"})->Unit(benchmark::kMicrosecond)->UseRealTime();
    if (config.goals) bench::with_certbench_median(depth);
    const auto scale = static_cast<std::int64_t>(largest);
    for (auto args : std::vector<std::vector<std::int64_t>>{{scale, 100, 0}, {scale, 1000, 0}, {scale, 1, 1},
                                                            {scale, 100, 1}, {scale, 1000, 1}})
      depth->Args(args);
  }
}

std::vector<std::uint64_t> parse_scales(const std::string& text) {
  std::vector<std::uint64_t> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    out.push_back(std::stoull(text.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  std::optional<db::EmbeddedPostgres> cluster;
  const bench::Program program{
      "bench_listing",
      {{"dsn", [&](std::string_view v) { config.dsn = v; }},
       {"scales", [&](std::string_view v) { config.scales = parse_scales(std::string(v)); }},
       {"naive_max", [&](std::string_view v) { config.naive_max = std::stoull(std::string(v)); }},
       {"goals", [&](std::string_view) { config.goals = true; }, false},
       {"results", [&](std::string_view v) { config.results = v; }}},
      [&] {
        if (!config.dsn.empty()) return;
        // On our own: a throwaway cluster with small datasets.
        cluster = db::EmbeddedPostgres::start_throwaway();
        config.dsn = cluster->dsn();
        for (auto scale : config.scales) {
          fixtures::SeedOptions o;
          o.spec = {scale, 42, fixtures::IndexSet::best};
          o.schema = schema_of(scale);
          fixtures::seed(config.dsn, o);
        }
      },
      [&] { register_all(config); },
      [&](const bench::CollectingReporter& reporter) {
        if (config.goals) bench::judge_goals(reporter, "the listing goals (figures from this run, judged by results/claims.json):");
        if (!config.results.empty()) bench::write_results(reporter, config.dsn, config.results);
      }};
  return bench::run_main(program, argc, argv);
}
