// certbench load-http URL: certbench's open-loop generator against any HTTP server (docs/api-load.md):
// GET URL (or POST a file to it) at a fixed rate, latency from each request's intended start.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/harness/environment.hpp"
#include "certbench/loadgen/open_loop.hpp"
#include "certbench/reports/prometheus.hpp"
#include "certbench/sys/files.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "output_dir.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace {

using results::duration;

struct Url {
  std::string host;
  std::uint16_t port = 80;
  std::string target;
};

// http://HOST[:PORT][/PATH[?QUERY]], HOST an IPv4 address, a bracketed IPv6 one or localhost.
Url parse_url(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme))
    throw UsageError("the URL must start with http:// (got '" + url + "'; https is not supported)");
  const std::string rest = url.substr(scheme.size());
  const auto end = rest.find_first_of("/?#");
  const std::string authority = rest.substr(0, end);
  Url u;
  u.target = end == std::string::npos ? "/" : rest.substr(end);
  if (u.target.front() != '/') u.target.insert(0, "/");
  std::string host = authority, port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string::npos) throw UsageError("unclosed [ in the URL '" + url + "'");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw UsageError("unexpected text after ] in the URL '" + url + "'");
      port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty()) throw UsageError("no host in the URL '" + url + "'");
  in6_addr scratch{};
  if (::inet_pton(AF_INET, host.c_str(), &scratch) != 1 && ::inet_pton(AF_INET6, host.c_str(), &scratch) != 1)
    throw UsageError("the URL's host must be an IP address or localhost (got '" + host + "')");
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) == 0 ||
        std::stoul(port) > 65535)
      throw UsageError("the URL's port must be 1 to 65535 (got '" + port + "')");
    u.port = static_cast<std::uint16_t>(std::stoul(port));
  }
  u.host = host;
  return u;
}

}  // namespace

Command add_load_http(CLI::App& app, const CommandLine& line) {
  auto shared = std::make_shared<LoadHttpArgs>();
  auto& args = *shared;
  auto* sub = app.add_subcommand("load-http", "GET a URL (or POST a file to it) at a fixed rate with certbench's open-loop generator "
                                              "(latency from each request's intended start; docs/api-load.md)");
  sub->add_option("url", args.url, "http://HOST:PORT/PATH?QUERY (HOST: an IP address or localhost)")->type_name("URL")->required();
  sub->add_option("--rate", args.rate, "requests per second, sent on schedule whatever the server does")->type_name("R")->required()
      ->check(CLI::PositiveNumber);
  sub->add_option("--seconds", args.seconds, "how long the schedule runs")->type_name("S")->check(CLI::PositiveNumber)->capture_default_str();
  sub->add_option("--connections", args.connections, "keep-alive connections: at most this many requests in flight")->type_name("N")
      ->check(CLI::Range(1u, 10000u))->capture_default_str();
  sub->add_option("--deadline", args.deadline,
                  "seconds from a request's intended start to be sent and answered; later, it is dropped")->type_name("S")
      ->check(CLI::PositiveNumber)->capture_default_str();
  auto* post = sub->add_option("--post", args.post, "POST this file's bytes to the URL instead of a GET")->type_name("FILE");
  sub->add_option("--content-type", args.content_type, "the Content-Type of --post's body")->type_name("TYPE")->needs(post)
      ->capture_default_str();
  sub->add_flag("--json", args.json, "print one JSON object instead of the summary");
  sub->add_option("--name", args.name, "the series' path label (default: the URL's path)")->type_name("PATH");
  sub->add_option("--out", args.out, "write DIR/results.json and DIR/metrics.prom (family http, mode open_loop)")->type_name("DIR");
  add_push_options(*sub, args.push, "the pushed or written series");
  sub->footer("Exit 3 when no request got an answer (nothing listening, every request dropped) — the results are "
              "written and pushed all the same (complete: false) — or when --out could not be written.");
  return {sub, [shared, &line] {
            shared->command_line = line;
            return load_http(*shared);
          }};
}

int load_http(const LoadHttpArgs& args) {
  const Url url = parse_url(args.url);
  loadgen::OpenLoopOptions o;
  o.host = url.host;
  o.port = url.port;
  o.target = url.target;
  o.rate = args.rate;
  o.connections = args.connections;
  o.realtime = true;  // the instrument on time (open_loop.hpp)
  if (!args.post.empty()) {
    if (!std::filesystem::is_regular_file(args.post)) throw UsageError("--post " + args.post + " is not a regular file");
    auto body = sys::read_file(args.post);
    if (!body) throw UsageError("--post " + args.post + ": cannot read it");
    o.post = loadgen::OpenLoopOptions::Post{std::move(*body), args.content_type};
  }
  if (args.seconds > 86'400) throw UsageError("--seconds must be at most 86400");
  if (args.deadline > 3'600) throw UsageError("--deadline must be at most 3600");
  if (args.rate > loadgen::kMaxOpenLoopRate) throw UsageError("--rate must be at most 1000000");
  if (args.rate * args.seconds < 1) throw UsageError("--rate x --seconds must be at least 1: the schedule holds no request");
  o.duration = std::chrono::milliseconds(static_cast<std::int64_t>(args.seconds * 1000));
  o.deadline = std::chrono::milliseconds(static_cast<std::int64_t>(args.deadline * 1000));
  if (o.duration.count() <= 0) throw UsageError("--seconds must be at least 0.001");
  if (o.deadline.count() <= 0) throw UsageError("--deadline must be at least 0.001");
  std::filesystem::path out_dir;
  if (!args.out.empty()) out_dir = make_out_dir(args.out);
  results::Run run;
  run.environment.started_utc = harness::utc_now();
  harness::describe_machine(run.environment);
  run.environment.options = args.command_line;
  if (!args.json)
    note(fmt::format("{} {} at {} requests/s for {} s over at most {} connections", o.post ? "POST" : "GET", args.url,
                     args.rate, args.seconds, args.connections));
  const auto r = loadgen::run_open_loop(o);
  const auto& l = r.latency;
  const auto& s = r.service;
  const double on_schedule = r.sent > 0 ? 100.0 * static_cast<double>(r.on_schedule) / static_cast<double>(r.sent) : 0;
  if (args.json) {
    auto ms = [](const loadgen::LogHistogram& h) {
      return nlohmann::json{{"p50", h.quantile(0.5) * 1e3},    {"p90", h.quantile(0.9) * 1e3},
                            {"p99", h.quantile(0.99) * 1e3},   {"p999", h.quantile(0.999) * 1e3},
                            {"max", h.max() * 1e3}};
    };
    nlohmann::json out = {{"url", args.url},          {"seconds", r.seconds},         {"offered_rate", r.offered_rate()},
                          {"achieved_rate", r.achieved_rate()}, {"scheduled", r.scheduled}, {"sent", r.sent},
                          {"on_schedule", r.on_schedule}, {"answered", r.answered},   {"non_2xx", r.non_2xx},
                          {"errors", r.errors},         {"dropped", r.dropped},       {"latency_ms", ms(l)},
                          {"service_ms", ms(s)},        {"realtime", r.realtime}};
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("offered {:.1f} requests/s, achieved {:.1f} (2xx answers per second of the schedule)\n", r.offered_rate(),
               r.achieved_rate());
    fmt::print("scheduled {}, sent {} ({:.2f}% within 1 ms of their intended start, {} later; the generator's thread {}), "
               "answered {}; non-2xx {}, errors {}, dropped {} (not sent or not answered within {} s)\n",
               thousands(r.scheduled), thousands(r.sent), on_schedule, thousands(r.sent - r.on_schedule),
               r.realtime ? "under SCHED_FIFO" : "at normal priority (SCHED_FIFO not permitted)", thousands(r.answered),
               thousands(r.non_2xx), thousands(r.errors), thousands(r.dropped), args.deadline);
    fmt::print("latency of the 2xx answers from the intended start: p50 {} p90 {} p99 {} p99.9 {} max {}\n", duration(l.quantile(0.5)),
               duration(l.quantile(0.9)), duration(l.quantile(0.99)), duration(l.quantile(0.999)), duration(l.max()));
    fmt::print("service time (send to answer, what a closed loop times): p50 {} p99 {} p99.9 {}\n",
               duration(s.quantile(0.5)), duration(s.quantile(0.99)), duration(s.quantile(0.999)));
  }
  int code = 0;
  if (r.answered == 0) {
    note(fmt::format("nothing answered at {} ({} errors, {} dropped)", args.url, r.errors, r.dropped));
    code = static_cast<int>(ExitCode::environment);
  }
  if (args.out.empty() && args.push.pushgateway.empty()) return code;
  run.environment.ended_utc = harness::utc_now();
  run.complete = r.answered > 0;
  if (!run.complete) run.failure = fmt::format("nothing answered at {}", args.url);
  auto series = loadgen::open_loop_series({r}, args.rate);
  series.path = args.name.empty() ? url.target.substr(0, url.target.find('?')) : args.name;
  series.implementation = url.host.find(':') != std::string::npos ? fmt::format("[{}]:{}", url.host, url.port)
                                                                  : fmt::format("{}:{}", url.host, url.port);
  series.parameters = {{"connections", static_cast<double>(args.connections)}, {"rate", args.rate}};
  run.series.push_back(std::move(series));
  if (!out_dir.empty()) {
    try {  // a failure still lets the push go
      write_results(run, out_dir, args.push.runner_of(run));
      note(fmt::format("results in {} (results.json, metrics.prom)", out_dir.string()));
    } catch (const Error& e) {
      note(fmt::format("could not write the results in {}: {}", out_dir.string(), e.what()));
      code = static_cast<int>(ExitCode::environment);
    }
  }
  const int pushed = push_to_gateway(run, args.push);
  return code != 0 ? code : pushed;
}

}  // namespace certbench::cli
