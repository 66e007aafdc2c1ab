// The terminal's table of the API over HTTP (family http, loadgen/http_run.hpp).
#include "certbench/reports/format.hpp"
#include "printer.hpp"

namespace certbench::reports::terminal {

void print_http(const Printer& p) {
  using results::Metric;
  const auto series = p.family(results::family::http);
  if (series.empty()) return;
  p.print("\nthe API over HTTP: page {:.0f} of {:.0f} per request, closed loop under wrk (each connection waits for its "
          "answer); req/s over all windows, percentiles the medians of the windows'\n",
          series.front()->parameter("page").value_or(0), series.front()->parameter("size").value_or(0));
  p.print("  {:<32} {:<10} {:>5} {:>9} {:>10} {:>10} {:>10} {:>6} {:>5} {:>8}  {}\n", "endpoint", "impl", "conns",
          "req/s", "p50", "p90", "p99", "fails", "stmt", "bytes", "throughput vs naive");
  for (const auto* s : series) {
    if (s->samples_of(Metric::throughput) == nullptr) {  // no windows: not measured
      p.print("  {:<32} {:<10} {:>5.0f}  not measured: a round of its closed loop would not fit the longest window\n",
              s->path, s->implementation, s->parameter("connections").value_or(0));
      continue;
    }
    auto med = [&](Metric m) {
      const auto x = summary(*s, m);
      return x.n ? duration(x.median) : std::string("-");
    };
    const auto* d = p.delta(*s, Metric::throughput);
    const auto stmt = s->value(Metric::statements);
    p.print("  {:<32} {:<10} {:>5.0f} {:>9.0f} {:>10} {:>10} {:>10} {:>6.0f} {:>5} {:>8}  {}\n", s->path,
            s->implementation, s->parameter("connections").value_or(0), s->value(Metric::throughput).value_or(0),
            med(Metric::latency_p50), med(Metric::latency_p90), med(Metric::latency_p99),
            s->value(Metric::failures).value_or(0), stmt ? fmt::format("{:.0f}", *stmt) : "-",
            human_bytes(static_cast<std::uint64_t>(s->value(Metric::response_bytes).value_or(0))),
            d ? delta_text(*d) : "");
  }
  p.print("  stmt: the statements one request ran (its Server-Timing); bytes: a response's body; "
          "fails: status 400 or more, socket errors and timeouts\n");
}

}  // namespace certbench::reports::terminal
