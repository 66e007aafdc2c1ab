// certbench_gate_noise — how often the gate raises a false alarm and how often it catches a real
// regression, on this machine, now (scripts/gate-noise runs it; docs/gate.md has the figures).
//
// In-process, on a throwaway embedded cluster and the quick run's dataset, repeated:
//   - A/A: the limited listings against themselves, interleaved, judged head/base (tier 2):
//     anything caught is a false alarm;
//   - A/B: a head made 2x and 1.25x slower (test-only, support/regressions.hpp): caught when the
//     gate says regression for the path;
//   - an N+1 brought back into the limited listings, and the dataset without its indexes, each
//     measured as `run` measures and judged against a baseline run (tier 1): caught when the gate
//     says regression.
// Prints each scenario's rate and the time one gate run (measure + judge) took.
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "certbench/fixtures/seeder.hpp"
#include "support/cluster.hpp"
#include "support/gate_trials.hpp"
#include "support/regressions.hpp"

using namespace certbench;
using Clock = std::chrono::steady_clock;

namespace {

struct Tally {
  std::string scenario;
  std::string counts;  // "caught" or "false alarms"
  unsigned runs = 0, hits = 0;
  std::vector<double> seconds;
};

unsigned arg(int argc, char** argv, std::string_view name, unsigned fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return static_cast<unsigned>(std::stoul(argv[i + 1]));
  return fallback;
}

void report(const Tally& t) {
  double total = 0, worst = 0;
  for (double s : t.seconds) {
    total += s;
    worst = std::max(worst, s);
  }
  fmt::print("  {:<44} {:>3} {} in {:>3}   gate run {:>5.1f} s mean, {:>5.1f} s max\n", t.scenario, t.hits, t.counts,
             t.runs, t.runs ? total / t.runs : 0, worst);
}

bool any_regression(const std::vector<gate::Check>& checks, bool show = false) {
  bool any = false;
  for (const auto& c : checks)
    if (c.outcome == gate::Outcome::regression) {
      any = true;
      if (show) fmt::print(stderr, "\n    false alarm: {}: {}\n", c.key, c.detail);
    }
  return any;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "--help") {
    fmt::print("usage: certbench_gate_noise [--aa N (20)] [--ab N (10)] [--scale N (10000)] [--budget-ms N (400)]\n");
    return 0;
  }
  const unsigned aa = arg(argc, argv, "--aa", 20), ab = arg(argc, argv, "--ab", 10);
  const unsigned scale = arg(argc, argv, "--scale", 10'000);
  const auto budget = std::chrono::milliseconds(arg(argc, argv, "--budget-ms", 400));
  const std::string dsn = testing::shared_cluster().dsn();
  for (auto [schema, set] : {std::pair{"noise_best", fixtures::IndexSet::best}, std::pair{"noise_none", fixtures::IndexSet::none}}) {
    fixtures::SeedOptions o;
    o.spec = {scale, 42, set};
    o.schema = schema;
    fixtures::seed(dsn, o);
  }
  const testing::DatasetOf best{dsn, "noise_best", scale, 42, "best"}, none{dsn, "noise_none", scale, 42, "none"};
  fmt::print("certbench gate noise: {} certificates, {} ms per path and side, {} A/A and {} of each A/B\n", scale,
             budget.count(), aa, ab);

  auto timed = [](Tally& t, auto trial) {
    const auto t0 = Clock::now();
    const bool hit = trial();
    t.seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    ++t.runs;
    t.hits += hit ? 1 : 0;
    fmt::print(stderr, "\r  {}: {} done   ", t.scenario, t.runs);
  };

  std::vector<Tally> tallies;
  Tally same{"unchanged code, head/base (tier 2)", "false alarms"};
  for (unsigned i = 0; i < aa; ++i) timed(same, [&] { return any_regression(testing::head_base_trial(best, {}, budget), true); });
  tallies.push_back(same);
  for (double factor : {2.0, 1.25}) {
    Tally slowed{fmt::format("limited {}x slower, head/base (tier 2)", factor), "caught"};
    const harness::ListingFactory head = [factor](harness::ListingSession& s) {
      return std::make_unique<testing::SlowedListings>(*s.db, factor);
    };
    for (unsigned i = 0; i < ab; ++i) timed(slowed, [&] { return any_regression(testing::head_base_trial(best, head, budget)); });
    tallies.push_back(slowed);
  }
  const auto baseline = testing::measure_listings_run(best, budget);
  auto tier1 = [&](const results::Run& run) {
    const auto report = gate::judge(baseline, "baseline", run, "run", gate::default_policy());
    bool hit = false;
    for (const auto& c : report.checks) hit |= c.tier == 1 && c.outcome == gate::Outcome::regression;
    return hit;
  };
  Tally unchanged1{"unchanged code, counts (tier 1)", "false alarms"};
  for (unsigned i = 0; i < ab; ++i) timed(unchanged1, [&] { return tier1(testing::measure_listings_run(best, budget)); });
  tallies.push_back(unchanged1);
  Tally nplus1{"an N+1 in the limited listings (tier 1)", "caught"};
  for (unsigned i = 0; i < ab; ++i)
    timed(nplus1, [&] {
      return tier1(testing::measure_listings_run(best, budget, harness::replacing("limited", [](harness::ListingSession& s) {
                                                   return std::make_unique<testing::NPlusOneListings>(*s.db);
                                                 })));
    });
  tallies.push_back(nplus1);
  Tally dropped{"the indexes dropped (tier 1)", "caught"};
  for (unsigned i = 0; i < ab; ++i) timed(dropped, [&] { return tier1(testing::measure_listings_run(none, budget)); });
  tallies.push_back(dropped);

  fmt::print(stderr, "\r{:60}\r", "");
  for (const auto& t : tallies) report(t);
  return 0;
}
