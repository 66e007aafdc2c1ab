// certbench load: a closed-loop load on one listing page, pgbench-style (clients x seconds).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "certbench/harness/listing_threads.hpp"
#include "certbench/harness/listing_loop.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/results/format.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace {

int load_on_loop(const harness::LoadSpec& spec, const LoadArgs& args) {
  const auto r = harness::run_listing_on_loop(spec, args.sessions);
  if (args.json) {
    nlohmann::json out = {{"listing", to_string(spec.listing)}, {"impl", spec.impl},
                          {"event_loop", true}, {"concurrency", r.concurrency}, {"reached", r.max_in_flight},
                          {"sessions", args.sessions}, {"seconds", r.seconds}, {"calls", r.requests},
                          {"calls_per_second", r.requests_per_second},
                          {"latency_ms", {{"p50", r.latency_ms.median}, {"p95", r.latency_ms.p95}, {"p99", r.latency_ms.p99}}},
                          {"lag_ms", {{"p50", r.lag_ms.median}, {"p99", r.lag_ms.p99}, {"max", r.lag_ms.max}}}};
    fmt::print("{}\n", out.dump());
  } else {
    auto ms = [](double v) { return results::duration(v / 1e3); };
    fmt::print("{} ({}), {} concurrent on one event loop ({} reached), {} database sessions, {:.1f} s: {} calls, "
               "{} calls/s; latency p50 {}, p95 {}, p99 {}; event-loop lag p50 {}, p99 {}, max {}\n",
               to_string(spec.listing), spec.impl, r.concurrency, r.max_in_flight, args.sessions, r.seconds,
               thousands(r.requests), results::whole(r.requests_per_second), ms(r.latency_ms.median),
               ms(r.latency_ms.p95), ms(r.latency_ms.p99), ms(r.lag_ms.median), ms(r.lag_ms.p99), ms(r.lag_ms.max));
  }
  return 0;
}

}  // namespace

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
  if (args.event_loop) return load_on_loop(spec, args);
  const auto r = harness::run_listing_on_threads(spec);
  if (args.json) {
    nlohmann::json out = {{"listing", to_string(a.listing)}, {"impl", a.impl},
                          {"clients", args.clients},            {"seconds", r.seconds},
                          {"calls", r.calls},                   {"calls_per_second", r.calls_per_second},
                          {"latency_ms", {{"mean", r.latency_ms.mean}, {"p50", r.latency_ms.median}, {"p95", r.latency_ms.p95}, {"p99", r.latency_ms.p99}}}};
    fmt::print("{}\n", out.dump());
  } else {
    auto ms = [](double v) { return results::duration(v / 1e3); };
    fmt::print("{} ({}), {} client(s), {:.1f} s: {} calls, {} calls/s; latency mean {}, p50 {}, p95 {}, p99 {}\n",
               to_string(a.listing), a.impl, args.clients, r.seconds, thousands(r.calls),
               results::whole(r.calls_per_second), ms(r.latency_ms.mean), ms(r.latency_ms.median),
               ms(r.latency_ms.p95), ms(r.latency_ms.p99));
  }
  return 0;
}

Command add_load(CLI::App& app) {
  auto st = std::make_shared<PageCommandOptions<LoadArgs>>();
  auto& a = st->args;
  auto* sub = app.add_subcommand("load", "a closed-loop load on one listing page: clients x seconds, like pgbench");
  st->page.add(*sub, a.page);
  sub->add_option("--clients", a.clients, "concurrent clients, each with its own session")
      ->type_name("N")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  sub->add_option("--seconds", a.seconds, "duration of the measured window")
      ->type_name("S")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  sub->add_flag("--event-loop", a.event_loop,
                "--clients concurrent requests on one event loop (like the backend's async server), the database "
                "on a pool of --sessions sessions; reports event-loop lag too");
  sub->add_option("--sessions", a.sessions, "with --event-loop: database sessions (the driver's pool)")
      ->type_name("N")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  sub->add_flag("--json", a.json, "print one JSON object");
  st->dataset.add(*sub, a.dataset);
  return {sub, [st] {
            st->page.finish();
            st->dataset.finish();
            return load(st->args);
          }};
}

}  // namespace certbench::cli
