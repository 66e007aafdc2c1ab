// The terminal's table of the API over HTTP (family http, loadgen/http_run.hpp).
#include "certbench/results/format.hpp"
#include "certbench/results/anatomy.hpp"
#include "printer.hpp"

namespace certbench::reports::terminal {

namespace {

// Where a request's time went in serve: every closed-loop series with the server's sums.
void print_request_anatomy(const Printer& p, const std::vector<const results::Series*>& series) {
  std::vector<std::pair<const results::Series*, results::RequestAnatomy>> rows;
  for (const auto* s : series)
    if (const auto a = results::request_anatomy_of(*s)) rows.emplace_back(s, *a);
  if (rows.empty()) return;
  p.print("\nwhere a request's time went in the server: in server = queue + client CPU + planning + execution + "
          "waiting\n");
  p.print("  {:<31} {:<9} {:>5} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}\n", "endpoint", "impl", "conns",
          "in server", "queue", "client CPU", "planning", "execution", "waiting", "peak heap");
  auto part = [](const std::optional<double>& v) { return v ? results::duration(*v) : std::string("-"); };
  for (const auto& [s, a] : rows) {
    const auto heap = s->value(results::Metric::peak_heap);
    p.print("  {:<31} {:<9} {:>5.0f} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9}\n", s->path, s->implementation,
            s->parameter("connections").value_or(0), results::duration(a.server_time), results::duration(a.queue),
            results::duration(a.client_cpu), part(a.planning), part(a.execution), part(a.waiting),
            heap ? results::human_bytes(*heap) : "-");
  }
  p.wrapped("the closed loop's window with the median mean request; client CPU: the worker's CPU outside libpq "
            "(decoding, building the page, its JSON); planning, execution: the database server's "
            "(pg_stat_statements); peak heap: one request's, metered alone; libpq's CPU and the RSS: report.md");
}

void print_open_loop(const Printer& p, const std::vector<const results::Series*>& series) {
  using results::Metric;
  if (series.empty()) return;
  p.print("\nthe API over HTTP under an open loop: a fixed schedule at a share of the endpoint's capacity (limited's best\n"
          "  req/s in the closed loop, else the fastest's), the same for every implementation\n");
  const auto w = path_width(series, "endpoint");
  p.print("  {:<{}} {:<9} {:>5} {:>8} {:>8} {:>8} {:>8} {:>6}  {}\n", "endpoint", w, "impl", "load", "offered",
          "answered", "p50", "p99", "failed", "answered vs naive");
  for (const auto* s : series) {
    if (s->samples_of(Metric::throughput) == nullptr) {  // no windows: it fell behind at a lower share
      p.print("  {:<{}} {:<9} {:>4.0f}% {:>8.0f}  not offered: it fell behind at the share before\n", s->path, w,
              s->implementation, 100 * s->parameter("capacity_share").value_or(0),
              s->value(Metric::offered_rate).value_or(0));
      continue;
    }
    const double requests = s->value(Metric::requests).value_or(0);
    const double failed = requests > 0 ? 100 * s->value(Metric::failures).value_or(0) / requests : 0;
    const auto* d = p.delta(*s, Metric::throughput);
    p.print("  {:<{}} {:<9} {:>4.0f}% {:>8.0f} {:>8.0f} {:>8} {:>8} {:>5.1f}%  {}\n", s->path, w,
            s->implementation, 100 * s->parameter("capacity_share").value_or(0),
            s->value(Metric::offered_rate).value_or(0), s->value(Metric::throughput).value_or(0),
            median_of(*s, Metric::latency_p50), median_of(*s, Metric::latency_p99),
            failed, d ? results::delta_text(*d) : "");
  }
  p.wrapped("offered, answered: req/s; p50, p99: from each request's intended start, medians of the windows' ('-': no "
            "good answer reached it); failed: not answered within the deadline, socket errors, not 2xx (p90: report.md)");
}

void print_mixed(const Printer& p, const std::vector<const results::Series*>& series) {
  using results::Metric;
  if (series.empty()) return;
  const results::Series* alone = nullptr;
  for (const auto* s : series)
    if (s->parameter("uploads") == 0.0) alone = s;
  p.print("\nmixed traffic over HTTP: limited's public listing at {:.0f} req/s on a fixed schedule, alone and beside "
          "uploads\n",
          series.front()->parameter("listing_rate").value_or(0));
  p.wrapped(fmt::format("(save_base64_image, {:.0f} kB) that serve saves on its event loop; listings' response times "
                        "from the intended start and the loop's lag p99, medians of the windows'",
                        series.front()->parameter("image_bytes").value_or(0) / 1000));
  p.print("  {:<12} {:>7} {:>9} {:>10} {:>10} {:>9} {:>10} {:>6}  {}\n", "saves", "uploads", "uploads/s", "p50", "p99",
          "p99/alone", "lag p99", "fails", "listings' p99 vs naive's");
  const auto p99_alone = alone != nullptr ? summary(*alone, Metric::latency_p99) : results::Summary{};
  for (const auto* s : series) {
    const auto p99 = summary(*s, Metric::latency_p99);
    const auto* d = p.delta(*s, Metric::latency_p99);
    const auto uploads = summary(*s, Metric::throughput);
    p.print("  {:<12} {:>7.0f} {:>9} {:>10} {:>10} {:>9} {:>10} {:>6.0f}  {}\n", s->implementation,
            s->parameter("uploads").value_or(0), uploads.n ? fmt::format("{:.0f}", uploads.median) : "-",
            median_of(*s, Metric::latency_p50), median_of(*s, Metric::latency_p99),
            p99.n && p99_alone.n && p99_alone.median > 0 && s != alone
                ? results::factor(p99.median / p99_alone.median)
                : "",
            median_of(*s, Metric::event_loop_lag_p99), s->value(Metric::failures).value_or(0), d ? results::delta_text(*d) : "");
  }
}

}  // namespace

void print_http(const Printer& p, bool anatomy) {
  using results::Metric;
  auto series = p.family(results::family::http);
  auto open = series, mixed = series;
  std::erase_if(series, [](const results::Series* s) { return s->mode != "closed_loop"; });
  std::erase_if(open, [](const results::Series* s) { return s->mode != "open_loop"; });
  std::erase_if(mixed, [](const results::Series* s) { return s->mode != "mixed"; });
  if (series.empty()) {
    print_open_loop(p, open);
    return print_mixed(p, mixed);
  }
  p.print("\nthe API over HTTP: page {:.0f} of {:.0f} per request, closed loop under wrk (each connection waits for its "
          "answer)\n",
          series.front()->parameter("page").value_or(0), series.front()->parameter("size").value_or(0));
  const auto w = path_width(series, "endpoint");
  p.print("  {:<{}} {:<9} {:>5} {:>8} {:>9} {:>9} {:>5} {:>4}  {}\n", "endpoint", w, "impl", "conns", "req/s", "p50",
          "p99", "fails", "stmt", "throughput vs naive");
  for (const auto* s : series) {
    if (s->samples_of(Metric::throughput) == nullptr) {  // no windows: not measured
      p.print("  {:<{}} {:<9} {:>5.0f}  not measured: a round of its closed loop would not fit the longest window\n",
              s->path, w, s->implementation, s->parameter("connections").value_or(0));
      continue;
    }
    auto med = [&](Metric m) { return median_of(*s, m); };
    const auto* d = p.delta(*s, Metric::throughput);
    const auto stmt = s->value(Metric::statements);
    p.print("  {:<{}} {:<9} {:>5.0f} {:>8.0f} {:>9} {:>9} {:>5.0f} {:>4}  {}\n", s->path, w, s->implementation,
            s->parameter("connections").value_or(0), s->value(Metric::throughput).value_or(0),
            med(Metric::latency_p50), med(Metric::latency_p99),
            s->value(Metric::failures).value_or(0), stmt ? results::whole(*stmt) : "-", d ? results::delta_text(*d) : "");
  }
  p.wrapped("req/s over all windows, p50 and p99 the medians of the windows'; stmt: statements per request "
            "(Server-Timing); fails: status 400 or more, socket errors, timeouts (p90, bytes: report.md)");
  if (anatomy) print_request_anatomy(p, series);
  print_open_loop(p, open);
  print_mixed(p, mixed);
}

}  // namespace certbench::reports::terminal
