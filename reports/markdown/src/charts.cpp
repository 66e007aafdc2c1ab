#include "charts.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "certbench/core/errors.hpp"
#include "certbench/results/anatomy.hpp"
#include "certbench/results/format.hpp"
#include "certbench/results/statistics.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"

namespace certbench::reports::detail {
namespace {

namespace fs = std::filesystem;
using results::Metric;
using results::Run;
using results::Series;

constexpr int kWidth = 960, kHeight = 480;
constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

// Labels as the datablocks carry them: quoted, so that a space stays inside one column.
std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// A gnuplot string literal: single quotes, a quote inside doubled ("the disk''s ceiling").
std::string gp(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// One colour per implementation in every chart: naive red (before the review), the review's fix
// orange (review, aiofiles), the best measured blue (limited, thread_pool), the cached and
// in-process variants green, Redis pink, io_uring light blue, the disk's ceiling grey. A miss is a
// lighter shade of its hit.
std::string colour_of(const std::string& label) {
  static const std::vector<std::pair<std::string, std::string>> colours{
      {"in_process miss", "#8fd9bf"}, {"in_process", "#009e73"}, {"redis miss", "#eab8d5"}, {"redis", "#cc79a7"},
      {"naive", "#d55e00"},           {"review", "#e69f00"},     {"limited", "#0072b2"},  {"precomputed", "#0072b2"}, {"cached", "#009e73"},
      {"io_uring", "#56b4e9"},        {"write-only", "#555555"}, {"aiofiles", "#e69f00"},  {"thread_pool", "#0072b2"}};
  for (const auto& [prefix, colour] : colours)
    if (label.rfind(prefix, 0) == 0) return colour;
  return "#777777";
}

std::string label_of(const Series& s) { return s.mode.empty() ? s.implementation : s.implementation + " " + s.mode; }

double median(const Series& s, Metric m) {
  const auto* v = s.samples_of(m);
  return v == nullptr || v->empty() ? kNone : results::percentile(*v, 0.5);
}

std::string number(double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : "?"; }

// A clustered bar chart: one group per row (a path), one bar per column (an implementation).
std::string bars(const std::vector<std::string>& rows, const std::vector<std::string>& columns,
                 const std::map<std::pair<std::string, std::string>, double>& values, const std::string& ylabel,
                 bool log_y) {
  std::string s = "$data << EOD\nrow";
  for (const auto& c : columns) s += " " + quoted(c);
  s += "\n";
  for (const auto& r : rows) {
    s += quoted(r);
    for (const auto& c : columns) {
      auto it = values.find({r, c});
      // A log axis cannot show 0 (a peak below jemalloc's resolution): no bar rather than no chart.
      const bool shown = it != values.end() && std::isfinite(it->second) && (!log_y || it->second > 0);
      s += " " + (shown ? number(it->second) : std::string("?"));
    }
    s += "\n";
  }
  s += "EOD\n";
  s += "set datafile missing '?'\n"
       "set style data histograms\nset style histogram clustered gap 1\n"
       "set style fill solid 0.9 border rgb 'white'\nset boxwidth 0.9\n"
       "set grid ytics lc rgb '#dddddd'\nset key outside right top vertical noenhanced\n"
       "set xtics noenhanced scale 0 rotate by -15 left offset -4,0\nset bmargin 5\n";
  s += fmt::format("set ylabel {}\n", gp(ylabel));
  if (log_y) s += "set logscale y\nset format y '%g'\n";
  else s += "set yrange [0:*]\n";
  s += "plot";
  for (std::size_t i = 0; i < columns.size(); ++i)
    s += fmt::format("{} $data using {}{} title columnheader({}) lc rgb '{}'", i ? "," : "", i + 2, i ? "" : ":xtic(1)",
                     i + 2, colour_of(columns[i]));
  return s + "\n";
}

// A stacked bar chart: one bar per row, its parts (columns) stacked in order, each part a colour of
// its own.
std::string stacked(const std::vector<std::string>& rows, const std::vector<std::pair<std::string, std::string>>& parts,
                    const std::map<std::pair<std::string, std::string>, double>& values, const std::string& ylabel) {
  std::string s = "$data << EOD\nrow";
  for (const auto& [part, colour] : parts) s += " " + quoted(part);
  s += "\n";
  for (const auto& r : rows) {
    s += quoted(r);
    for (const auto& [part, colour] : parts) {
      auto it = values.find({r, part});
      s += " " + (it != values.end() && std::isfinite(it->second) ? number(it->second) : std::string("0"));
    }
    s += "\n";
  }
  s += "EOD\n";
  s += "set style data histograms\nset style histogram rowstacked\n"
       "set style fill solid 0.9 border rgb 'white'\nset boxwidth 0.75\n"
       "set grid ytics lc rgb '#dddddd'\nset key outside right top vertical noenhanced\n"
       "set xtics noenhanced scale 0 rotate by -30 left offset -2,0\nset bmargin 7\nset yrange [0:*]\n";
  s += fmt::format("set ylabel {}\n", gp(ylabel));
  s += "plot";
  for (std::size_t i = 0; i < parts.size(); ++i)
    s += fmt::format("{} $data using {}{} title columnheader({}) lc rgb '{}'", i ? "," : "", i + 2, i ? "" : ":xtic(1)",
                     i + 2, parts[i].second);
  return s + "\n";
}

// Lines against x (log 2), one per implementation; the disk's ceiling dashed.
std::string lines(const std::vector<std::pair<std::string, std::vector<std::pair<double, double>>>>& curves,
                  const std::string& xlabel, const std::string& ylabel, bool log_y) {
  std::string s;
  for (std::size_t i = 0; i < curves.size(); ++i) {
    s += fmt::format("$c{} << EOD\n", i);
    for (const auto& [x, y] : curves[i].second) s += number(x) + " " + (log_y && y <= 0 ? "?" : number(y)) + "\n";
    s += "EOD\n";
  }
  s += "set datafile missing '?'\nset grid lc rgb '#dddddd'\nset key top left noenhanced\nset logscale x 2\n"
       "set format x '%g'\n";
  s += fmt::format("set xlabel {}\nset ylabel {}\n", gp(xlabel), gp(ylabel));
  if (log_y) s += "set logscale y\nset format y '%g'\n";
  else s += "set yrange [0:*]\n";
  s += "plot";
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const bool ceiling = curves[i].first.find("write-only") != std::string::npos;
    s += fmt::format("{} $c{} with linespoints lw 2 pt 7 ps 0.8 lc rgb '{}'{} title {}", i ? "," : "", i,
                     colour_of(curves[i].first), ceiling ? " dt 2" : "", gp(curves[i].first));
  }
  return s + "\n";
}

// Run::of_family, at one dataset scale when `scale` is given.
std::vector<const Series*> of_family(const Run& run, std::string_view family, double scale = kNone) {
  auto v = run.of_family(family);
  if (!std::isnan(scale)) std::erase_if(v, [&](const Series* s) { return s->parameter("scale") != scale; });
  return v;
}

template <typename T>
void add_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

void listing_charts(const Run& run, std::vector<Chart>& out) {
  const auto series = of_family(run, results::family::listing, static_cast<double>(run.environment.dataset_scale));
  if (series.empty()) return;
  std::vector<std::string> rows, columns;
  std::map<std::pair<std::string, std::string>, double> latency, heap;
  for (const auto* s : series) {
    add_unique(rows, s->path);
    add_unique(columns, s->implementation);
    latency[{s->path, s->implementation}] = median(*s, Metric::latency) * 1e3;
    if (const auto* h = s->samples_of(Metric::peak_heap); h != nullptr && !h->empty())
      heap[{s->path, s->implementation}] = *std::max_element(h->begin(), h->end()) / 1000;
  }
  out.push_back({"listing_latency", "Median latency per call of each listing, per implementation (log scale)",
                 bars(rows, columns, latency, "median latency per call (ms, log scale)", true)});
  if (!heap.empty())
    out.push_back({"listing_peak_heap", "Largest peak heap of a call of each listing, per implementation (log scale)",
                   bars(rows, columns, heap, "largest peak heap of a call (kB, log scale)", true)});
}

// Where the time goes (results/anatomy.hpp): each listing's implementations side by side, each bar
// the median call split into its parts, as shares of it (naive and the best differ by orders of
// magnitude; the report's table has the times).
void anatomy_charts(const Run& run, std::vector<Chart>& out) {
  const auto series = of_family(run, results::family::listing, static_cast<double>(run.environment.dataset_scale));
  static const std::vector<std::pair<std::string, std::string>> parts{
      {"decoding rows", "#56b4e9"}, {"other client CPU", "#0072b2"}, {"server planning", "#e69f00"},
      {"server execution", "#d55e00"}, {"waiting", "#999999"}};
  std::vector<std::string> rows;
  std::map<std::pair<std::string, std::string>, double> shares;
  for (const auto* s : series) {
    const auto a = results::anatomy_of(*s);
    if (!a || !a->waiting || a->latency <= 0) continue;  // only bars whose parts are all known
    const std::string row = s->path + " " + s->implementation;
    rows.push_back(row);
    // Decoding, where marked, is drawn apart from the rest of the client's CPU.
    shares[{row, "decoding rows"}] = 100 * a->decode_cpu.value_or(0) / a->latency;
    shares[{row, "other client CPU"}] = 100 * (a->client_cpu - a->decode_cpu.value_or(0)) / a->latency;
    shares[{row, "server planning"}] = 100 * a->planning.value_or(0) / a->latency;
    shares[{row, "server execution"}] = 100 * a->execution.value_or(0) / a->latency;
    shares[{row, "waiting"}] = 100 * *a->waiting / a->latency;
  }
  if (rows.empty()) return;
  out.push_back({"listing_anatomy", "Where a listing call's time goes: each part's share of the median call",
                 stacked(rows, parts, shares, "share of the median call (%)")});
}

// Curves against concurrency of the series of `family` and `path`, one per implementation (the
// disk's ceiling among them for the file saves): throughput, and the lag's p99 where measured.
void concurrency_charts(const std::vector<const Series*>& series, const std::string& path, const std::string& stem,
                        const std::string& what, bool log_throughput, std::vector<Chart>& out) {
  std::map<std::string, std::vector<std::pair<double, double>>> throughput, lag;
  std::vector<std::string> order;
  for (const auto* s : series) {
    if (s->path != path) continue;
    const std::string name = s->implementation == "write-only" ? "write-only (the disk's ceiling)" : label_of(*s);
    add_unique(order, name);
    const double c = s->parameter("concurrency").value_or(0);
    throughput[name].emplace_back(c, s->value(Metric::throughput).value_or(kNone));
    if (const auto* l = s->samples_of(Metric::event_loop_lag_p99)) lag[name].emplace_back(c, results::percentile(*l, 0.5) * 1e3);
  }
  std::vector<std::pair<std::string, std::vector<std::pair<double, double>>>> t, l;
  for (const auto& name : order) {
    auto points = throughput[name];
    std::sort(points.begin(), points.end());
    t.emplace_back(name, points);
    if (lag.count(name) > 0) {
      auto lp = lag[name];
      std::sort(lp.begin(), lp.end());
      l.emplace_back(name, lp);
    }
  }
  const bool ceiling = std::any_of(order.begin(), order.end(), [](const std::string& n) { return n.rfind("write-only", 0) == 0; });
  out.push_back({stem + "_throughput",
                 fmt::format("{}: {} per second against concurrent requests{}{}", path, what,
                             ceiling ? ", beside the disk's ceiling" : "", log_throughput ? " (log scale)" : ""),
                 lines(t, "concurrent requests on one event loop",
                       what + " per second" + (log_throughput ? " (log scale)" : ""), log_throughput)});
  if (!l.empty())
    out.push_back({stem + "_lag", fmt::format("{}: event-loop lag p99 against concurrent requests (log scale)", path),
                   lines(l, "concurrent requests on one event loop", "event-loop lag p99 (ms, log scale)", true)});
}

void loop_charts(const Run& run, std::vector<Chart>& out) {
  const auto series = of_family(run, results::family::listing_loop);
  if (series.empty()) return;
  std::vector<double> levels;
  std::vector<std::string> rows, columns;
  for (const auto* s : series) {
    add_unique(levels, s->parameter("concurrency").value_or(0));
    add_unique(rows, s->path);
    add_unique(columns, s->implementation);
  }
  if (levels.size() > 1) {  // against concurrency, a chart per listing
    for (const auto& path : rows) concurrency_charts(series, path, "loop_" + path, "pages", true, out);
    return;
  }
  std::map<std::pair<std::string, std::string>, double> throughput, lag;
  for (const auto* s : series) {
    throughput[{s->path, s->implementation}] = s->value(Metric::throughput).value_or(kNone);
    if (const auto* l = s->samples_of(Metric::event_loop_lag_p99))
      lag[{s->path, s->implementation}] = results::percentile(*l, 0.5) * 1e3;
  }
  out.push_back({"loop_throughput",
                 fmt::format("Listings on one event loop: pages per second at {:.0f} concurrent requests (log scale)", levels[0]),
                 bars(rows, columns, throughput, "pages per second (log scale)", true)});
  if (!lag.empty())
    out.push_back({"loop_lag", fmt::format("Listings on one event loop: event-loop lag p99 at {:.0f} concurrent (log scale)", levels[0]),
                   bars(rows, columns, lag, "event-loop lag p99 (ms, log scale)", true)});
}

void caching_charts(const Run& run, std::vector<Chart>& out) {
  auto series = of_family(run, results::family::caching);
  for (const auto* s : of_family(run, results::family::derived)) series.push_back(s);
  if (series.empty()) return;
  std::vector<std::string> rows, columns;
  std::map<std::pair<std::string, std::string>, double> latency;
  for (const auto* s : series) {
    add_unique(rows, s->path);
    add_unique(columns, label_of(*s));
    latency[{s->path, label_of(*s)}] = median(*s, Metric::latency) * 1e6;
  }
  out.push_back({"caching_latency", "Median latency per call of each lookup, per variant (log scale)",
                 bars(rows, columns, latency, "median latency per call (us, log scale)", true)});
}

// The open loop, per endpoint: the p99 response time and the good answers per second against the
// rate offered, one curve per implementation (every implementation got the same schedules).
void http_charts(const Run& run, std::vector<Chart>& out) {
  auto series = of_family(run, results::family::http);
  std::erase_if(series, [](const Series* s) { return s->mode != "open_loop"; });
  std::vector<std::string> paths;
  for (const auto* s : series) add_unique(paths, s->path);
  for (const auto& path : paths) {
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::pair<double, double>>> p99, answered;
    for (const auto* s : series) {
      if (s->path != path) continue;
      add_unique(order, s->implementation);
      const double x = s->value(Metric::offered_rate).value_or(kNone);
      const auto* v = s->samples_of(Metric::latency_p99);
      const auto* windows = s->samples_of(Metric::throughput);
      if (windows == nullptr) continue;  // not offered
      // A p99 that requests without a good answer reached is not drawn.
      p99[s->implementation].emplace_back(x, v != nullptr && v->size() == windows->size()
                                                 ? results::percentile(*v, 0.5) * 1e3
                                                 : kNone);
      answered[s->implementation].emplace_back(x, s->value(Metric::throughput).value_or(kNone));
    }
    std::vector<std::pair<std::string, std::vector<std::pair<double, double>>>> l, a;
    for (const auto& name : order) {
      std::sort(p99[name].begin(), p99[name].end());
      std::sort(answered[name].begin(), answered[name].end());
      l.emplace_back(name, p99[name]);
      a.emplace_back(name, answered[name]);
    }
    out.push_back({"http_" + path + "_p99",
                   path + ": p99 response time against the rate offered, open loop (log scale; a point is missing where requests never answered reached the p99)",
                   lines(l, "requests per second offered (the same schedule for each)", "p99 from the intended start (ms, log scale)", true)});
    out.push_back({"http_" + path + "_answered",
                   path + ": good answers per second against the rate offered, open loop (log scale)",
                   lines(a, "requests per second offered (the same schedule for each)", "good answers per second (log scale)", true)});
  }
}

void save_charts(const Run& run, std::vector<Chart>& out) {
  auto series = of_family(run, results::family::file_save);
  for (const auto* s : of_family(run, results::family::ceiling)) series.push_back(s);
  std::vector<std::string> paths;
  for (const auto* s : series) add_unique(paths, s->path);
  for (const auto& path : paths) concurrency_charts(series, path, "saves_" + path, "saves", false, out);
}

void growth_charts(const Run& run, std::vector<Chart>& out) {
  std::vector<std::string> paths;
  for (const auto& f : run.fits)
    if (f.metric == Metric::latency) add_unique(paths, f.path);
  for (const auto& path : paths) {
    std::vector<std::pair<std::string, std::vector<std::pair<double, double>>>> curves;
    for (const auto& f : run.fits) {
      if (f.path != path || f.metric != Metric::latency) continue;
      std::vector<std::pair<double, double>> points;
      for (const auto& s : run.series)
        if (s.curve() == f.curve && s.parameter("scale"))
          points.emplace_back(*s.parameter("scale"), median(s, Metric::latency) * 1e3);
      std::sort(points.begin(), points.end());
      curves.emplace_back(fmt::format("{}{}, k = {}", f.implementation, f.curve.find("/hit") != std::string::npos ? " hit" : "",
                                      results::interval_text(f.exponent, results::exponent)),
                          points);
    }
    auto script = lines(curves, "certificates in the dataset (log scale)", "median latency per call (ms, log scale)", true);
    // Only as wide as the scales measured (log autoscaling would widen to whole decades), a tick at each.
    std::vector<double> scales;
    for (const auto& c : curves)
      for (const auto& point : c.second) add_unique(scales, point.first);
    std::sort(scales.begin(), scales.end());
    std::string ticks;
    for (double x : scales) {
      const auto label = x >= 1e6 && std::fmod(x, 1e6) == 0 ? fmt::format("{:.0f}M", x / 1e6)
                         : x >= 1e3 && std::fmod(x, 1e3) == 0 ? fmt::format("{:.0f}k", x / 1e3)
                                                               : fmt::format("{:.0f}", x);
      ticks += fmt::format("{}'{}' {}", ticks.empty() ? "" : ", ", label, number(x));
    }
    script.replace(script.find("set logscale x 2"), 16,
                   "set logscale x 10\nset autoscale xfix\nset offsets graph 0.05, graph 0.05, 0, 0\nset xtics (" + ticks +
                       ")\nset key outside right top vertical");
    out.push_back({"growth_" + path, fmt::format("{}: cost against dataset size, log-log, with the fitted order k", path),
                   script});
  }
}

}  // namespace

// True when a chart has at least one value gnuplot can draw (a chart of only '?' stops gnuplot).
bool drawable(const std::string& script) {
  for (std::size_t at = 0; (at = script.find("EOD\n", at)) != std::string::npos;) {
    const auto end = script.find("\nEOD", at + 4);
    if (end == std::string::npos) break;
    std::istringstream lines(script.substr(at + 4, end - at - 4));
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("row ", 0) == 0) continue;  // the column headers
      // The values after the row's quoted label (bars) or after x (lines).
      const auto values = line.front() == '"' ? line.substr(line.find('"', 1) + 1) : line.substr(line.find(' ') + 1);
      std::istringstream fields(values);
      for (std::string field; fields >> field;)
        if (field != "?") return true;
    }
    at = end + 4;
  }
  return false;
}

std::vector<Chart> charts_of(const Run& run) {
  std::vector<Chart> out;
  listing_charts(run, out);
  anatomy_charts(run, out);
  loop_charts(run, out);
  caching_charts(run, out);
  save_charts(run, out);
  http_charts(run, out);
  growth_charts(run, out);
  std::erase_if(out, [](const Chart& c) { return !drawable(c.script); });
  for (auto& c : out) c.script = fmt::format("set title {} noenhanced\n", gp(c.title)) + c.script;
  return out;
}

std::vector<fs::path> render(const std::vector<Chart>& charts, const fs::path& charts_dir) {
  if (charts.empty()) return {};
  const auto gnuplot = sys::find_program("gnuplot");
  if (!gnuplot) throw EnvironmentError("gnuplot is not installed (Debian package gnuplot-nox): no charts");
  std::error_code ec;
  fs::create_directories(charts_dir, ec);
  if (ec) throw EnvironmentError("cannot make " + charts_dir.string() + ": " + ec.message());
  // One gnuplot for every chart: each drawn as SVG, then again as PNG.
  std::string all;
  std::vector<fs::path> files;
  for (const auto& c : charts) {
    const auto svg = charts_dir / (c.name + ".svg"), png = charts_dir / (c.name + ".png");
    all += fmt::format("reset\nset terminal svg size {},{} dynamic font 'DejaVu Sans,12' background rgb 'white'\n"
                       "set output {}\n{}set terminal pngcairo size {},{} font 'DejaVu Sans,11' background rgb 'white'\n"
                       "set output {}\nreplot\nunset output\n",
                       kWidth, kHeight, gp(svg.string()), c.script, kWidth, kHeight, gp(png.string()));
    files.push_back(svg);
    files.push_back(png);
  }
  const auto script = charts_dir / "charts.gp";
  sys::write_file_atomic(script, all);
  const auto r = sys::run_capture({*gnuplot, script.string()});
  if (r.exit_code != 0) {  // gnuplot ends with the line it stopped at: "… line N: <why>"
    std::string last;
    for (std::size_t start = 0; start < r.err.size();) {
      const auto end = std::min(r.err.find('\n', start), r.err.size());
      if (end > start) last = r.err.substr(start, end - start);
      start = end + 1;
    }
    throw EnvironmentError("gnuplot failed drawing the charts (" + script.string() + "): " + last);
  }
  return files;
}

}  // namespace certbench::reports::detail
