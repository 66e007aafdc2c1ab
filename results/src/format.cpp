#include "certbench/results/format.hpp"

#include <cmath>
#include <fmt/format.h>

namespace certbench::results {

std::string thousands(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string count(double v) {
  if (!std::isfinite(v)) return "?";
  if (v != std::floor(v) || std::fabs(v) >= 1e15) {
    auto t = fmt::format("{:.3f}", v);
    while (t.back() == '0') t.pop_back();
    if (t.back() == '.') t.pop_back();
    return t;
  }
  return (v < 0 ? "-" : "") + thousands(static_cast<std::uint64_t>(std::fabs(v)));
}

std::string whole(double v) { return count(std::round(v)); }

std::string megabytes(std::uint64_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); }

std::string human_bytes(double bytes) {
  const double a = std::fabs(bytes);
  if (a < 1'000) return count(std::round(bytes)) + " B";
  // Three significant figures: "17.6 kB", "1.63 MB", "812 MB".
  const double v = a < 1'000'000 ? bytes / 1e3 : bytes / 1e6;
  const char* unit = a < 1'000'000 ? "kB" : "MB";
  const int decimals = std::fabs(v) < 10 ? 2 : std::fabs(v) < 100 ? 1 : 0;
  return fmt::format("{:.{}f} {}", v, decimals, unit);
}

std::string duration(double s) {
  if (s < 1e-6) return fmt::format("{:.0f} ns", s * 1e9);
  if (s < 1e-3) return fmt::format("{:.1f} us", s * 1e6);
  if (s < 0.1) return fmt::format("{:.2f} ms", s * 1e3);
  if (s < 1) return fmt::format("{:.0f} ms", s * 1e3);
  return fmt::format("{:.2f} s", s);
}

std::string factor(double f) {
  if (!std::isfinite(f)) return "n/a";
  if (f >= 1e12) return "unbounded";
  if (f >= 100) return fmt::format("{:.0f}x", f);
  if (f >= 10) return fmt::format("{:.1f}x", f);
  if (f >= 1) return fmt::format("{:.2f}x", f);
  return fmt::format("{:.3f}x", f);
}

std::string ratio_text(const Interval& f, std::string_view method) {
  if (method == method::exact) return factor(f.estimate);
  // Too few samples for a 95% interval: the range of what was seen, said to be one.
  if (method == method::range)
    return fmt::format("{} (range {} to {})", factor(f.estimate), factor(f.low), factor(f.high));
  return fmt::format("{} ({} to {})", factor(f.estimate), factor(f.low), factor(f.high));
}

std::string delta_text(const Delta& d) { return ratio_text(d.factor, d.method); }

std::string percent(double fraction, int decimals) { return fmt::format("{:.{}f}%", 100 * fraction, decimals); }

std::string exponent(double k) { return fmt::format("{:.2f}", k); }

std::string interval_text(const Interval& i, const std::function<std::string(double)>& one) {
  return fmt::format("{} ({} to {})", one(i.estimate), one(i.low), one(i.high));
}

std::string verdict_value(const Verdict& v, double x) {
  // A verdict's percent is already x100. A reduction from a factor of 0 has no finite bound.
  if (v.unit == "percent") return x <= -1e300 ? std::string("unbounded below") : percent(x / 100);
  if (v.unit == "factor") return factor(x);
  if (v.unit == "seconds") return duration(x);
  if (v.unit == "bytes") return human_bytes(x);
  return fmt::format("{:.3g}", x);
}

std::string verdict_figure(const Verdict& v) {
  if (!v.measured) return "not measured";
  auto one = [&v](double x) { return verdict_value(v, x); };
  const auto& m = *v.measured;
  if (v.n == 1) return one(m.estimate) + " (1 sample: no interval)";
  if (m.low == m.high) return one(m.estimate) + (v.n == 0 ? " (exact)" : "");
  return interval_text(m, one);
}

}  // namespace certbench::results
