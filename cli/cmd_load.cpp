// certbench load: a closed-loop load on one listing page, pgbench-style (clients x seconds).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "certbench/harness/closed_loop.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "commands.hpp"
#include "terminal.hpp"

namespace certbench::cli {

int load(const LoadArgs& args) {
  const PageArgs& a = args.page;
  PageRequest page{a.page, a.size, std::nullopt};
  page.validate();
  auto dataset = ensure_dataset(args.dataset);
  harness::LoadSpec spec;
  spec.dsn = dataset.target.dsn();
  spec.schema = args.dataset.schema;
  spec.impl = a.impl;
  spec.listing = a.listing;
  spec.user_id = a.user_id();
  spec.page = page;
  spec.clients = args.clients;
  spec.duration = std::chrono::milliseconds(static_cast<std::int64_t>(args.seconds * 1000));
  const auto r = harness::run_closed_loop(spec);
  if (args.json) {
    nlohmann::json out = {{"listing", to_string(a.listing)}, {"impl", a.impl},
                          {"clients", args.clients},            {"seconds", r.seconds},
                          {"calls", r.calls},                   {"calls_per_second", r.calls_per_second},
                          {"latency_ms", {{"mean", r.mean_ms}, {"p50", r.p50_ms}, {"p95", r.p95_ms}, {"p99", r.p99_ms}}}};
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("{} ({}), {} client(s), {:.1f} s: {} calls, {:.1f} calls/s; latency mean {:.3f} ms, "
               "p50 {:.3f}, p95 {:.3f}, p99 {:.3f}\n",
               to_string(a.listing), a.impl, args.clients, r.seconds, thousands(r.calls),
               r.calls_per_second, r.mean_ms, r.p50_ms, r.p95_ms, r.p99_ms);
  }
  return 0;
}

}  // namespace certbench::cli
