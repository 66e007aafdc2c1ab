#include "certbench/results/advice.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

#include "certbench/results/analysis.hpp"
#include "certbench/results/format.hpp"
#include "certbench/results/statistics.hpp"

namespace certbench::results {

namespace {

constexpr std::string_view kSingle = "limited";
constexpr std::array<std::string_view, 2> kPerKind{"pipelined", "parallel"};

std::string count_text(const std::optional<double>& v) { return v ? count(*v) : std::string("?"); }

bool faster(const std::optional<Interval>& f) { return f && f->low > 1; }
bool slower(const std::optional<Interval>& f) { return f && f->high < 1; }

// Fewer samples a side than this and a bootstrap interval is narrower than its name (3 against 3
// never overlap 1 in 20 times in either direction): such a factor is shown, never decisive.
constexpr std::size_t kDecisiveSamples = 5;

std::size_t samples_of(const Series& s, Metric m) {
  const auto* v = s.samples_of(m);
  return v == nullptr ? 0 : v->size();
}

// The loop's series of `path` and `implementation` at the highest concurrency measured for the
// path at `scale`.
const Series* loop_series(const Run& run, const std::string& path, std::string_view implementation, double scale,
                          double concurrency) {
  for (const auto& s : run.series)
    if (s.family == family::listing_loop && s.path == path && s.implementation == implementation &&
        s.parameter("scale") == scale && s.parameter("concurrency") == concurrency)
      return &s;
  return nullptr;
}

// The series' figure for `m`: its value where it has one (a load's throughput over the whole window),
// else the median of its samples.
double figure_of(const Series& s, Metric m) {
  if (const auto v = s.value(m)) return *v;
  if (const auto* v = s.samples_of(m); v != nullptr && !v->empty()) return percentile(*v, 0.5);
  return s.value(m).value_or(0);
}

// Says what one option costs per page: "5 statements in 1 round trip, 100 rows received".
std::string cost_text(const FixOption& o) {
  return fmt::format("{} statement(s) in {} round trip(s), {} rows received", count_text(o.statements),
                     count_text(o.round_trips), count_text(o.rows_received));
}

// "100" when every per-kind option receives as many rows, else "100 (pipelined) and 120 (parallel)".
std::string rows_text(const std::vector<FixOption>& options) {
  std::string all, first = count_text(options.at(1).rows_received);
  bool same = true;
  for (std::size_t i = 1; i < options.size(); ++i) {
    same = same && count_text(options[i].rows_received) == first;
    all += fmt::format("{}{} ({})", all.empty() ? "" : " and ", count_text(options[i].rows_received),
                       options[i].implementation);
  }
  return same ? first : all;
}

std::string against_text(const FixOption& o, double concurrency) {
  std::string out;
  if (o.latency_factor) out = ratio_text(*o.latency_factor, o.latency_method) + " per call";
  if (o.throughput_factor)
    out += fmt::format("{}{} the throughput at {:.0f} concurrent{}", out.empty() ? "" : " and ",
                       ratio_text(*o.throughput_factor, o.throughput_method), concurrency,
                       o.throughput_decisive ? "" : " (too few repetitions to decide)");
  return out.empty() ? std::string("not compared") : out;
}

}  // namespace

std::vector<FixAdvice> advise_listing_fix(const Run& run) {
  std::vector<FixAdvice> out;
  const double scale = static_cast<double>(run.environment.dataset_scale);
  for (const auto& single : run.series) {
    if (single.family != family::listing || single.implementation != kSingle || single.parameter("scale") != scale)
      continue;
    FixAdvice advice;
    advice.path = single.path;
    advice.page_size = single.parameter("size").value_or(0);
    for (const auto& s : run.series)
      if (s.family == family::listing_loop && s.path == single.path && s.parameter("scale") == scale)
        advice.concurrency = std::max(advice.concurrency, s.parameter("concurrency").value_or(0));
    const Series* single_loop = loop_series(run, single.path, kSingle, scale, advice.concurrency);

    auto option_of = [&](const Series& s) {
      FixOption o;
      o.implementation = s.implementation;
      o.latency = figure_of(s, Metric::latency);
      o.statements = s.value(Metric::statements);
      o.round_trips = s.value(Metric::round_trips);
      o.rows_received = s.value(Metric::rows_received);
      if (!o.statements) o.statements = o.round_trips;  // a run from before statements were counted
      if (const auto* loop = loop_series(run, s.path, s.implementation, scale, advice.concurrency))
        o.throughput = figure_of(*loop, Metric::throughput);
      if (&s != &single) {
        if (const auto d = compare(single, s, Metric::latency)) {
          o.latency_factor = d->factor;
          o.latency_method = d->method;
          o.latency_decisive = std::min(samples_of(single, Metric::latency), samples_of(s, Metric::latency)) >=
                               kDecisiveSamples;
        }
        if (const auto* loop = loop_series(run, s.path, s.implementation, scale, advice.concurrency);
            loop != nullptr && single_loop != nullptr)
          if (const auto d = compare(*single_loop, *loop, Metric::throughput)) {
            o.throughput_factor = d->factor;
            o.throughput_method = d->method;
            o.throughput_decisive = std::min(samples_of(*single_loop, Metric::throughput),
                                             samples_of(*loop, Metric::throughput)) >= kDecisiveSamples;
          }
      }
      return o;
    };
    advice.options.push_back(option_of(single));
    for (const auto impl : kPerKind)
      for (const auto& s : run.series)
        if (s.family == family::listing && s.path == single.path && s.implementation == impl &&
            s.parameters == single.parameters)
          advice.options.push_back(option_of(s));
    if (advice.options.size() < 2) continue;

    // The rule in advice.hpp: faster with confidence somewhere, slower with confidence nowhere.
    const FixOption* best = nullptr;
    // Every candidate scored on the same figure: throughput where all have a decisive one.
    bool by_throughput = true;
    for (std::size_t i = 1; i < advice.options.size(); ++i)
      by_throughput = by_throughput && advice.options[i].throughput_factor && advice.options[i].throughput_decisive;
    auto score = [by_throughput](const FixOption& o) {
      return by_throughput ? o.throughput_factor->estimate : o.latency_factor->estimate;
    };
    for (std::size_t i = 1; i < advice.options.size(); ++i) {
      const auto& o = advice.options[i];
      const std::optional<Interval> lat = o.latency_decisive ? o.latency_factor : std::nullopt;
      const std::optional<Interval> thr = o.throughput_decisive ? o.throughput_factor : std::nullopt;
      if (!(faster(lat) || faster(thr))) continue;
      if (slower(lat) || slower(thr)) continue;
      if (!lat && !by_throughput) continue;  // no figure to rank it on beside the others
      if (best == nullptr || score(o) > score(*best)) best = &o;
    }
    const FixOption& one = advice.options.front();
    if (best != nullptr) {
      advice.chosen = best->implementation;
      advice.reason = fmt::format("{}: {} against the one statement ({}), faster with 95% confidence and slower on "
                                  "nothing measured",
                                  best->implementation, against_text(*best, advice.concurrency), cost_text(*best));
      if (best->implementation == "parallel")
        advice.reason += "; it holds one session per certificate kind for each page, so size the pool for it";
    } else {
      advice.chosen = std::string(kSingle);
      std::string others;
      for (std::size_t i = 1; i < advice.options.size(); ++i) {
        const auto& o = advice.options[i];
        others += fmt::format("{}{} {}", others.empty() ? "" : "; ", o.implementation,
                              against_text(o, advice.concurrency));
      }
      advice.reason = fmt::format(
          "the one statement ({}): no per-kind fix is faster with 95% confidence and slower on nothing measured ({}); "
          "they receive {} rows for a page of {:.0f} where it receives {}",
          cost_text(one), others, rows_text(advice.options), advice.page_size, count_text(one.rows_received));
    }
    out.push_back(std::move(advice));
  }
  return out;
}

}  // namespace certbench::results
