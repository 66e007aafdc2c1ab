#include "certbench/reports/format.hpp"

#include <cmath>
#include <fmt/format.h>

namespace certbench::reports {

std::string thousands(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string megabytes(std::uint64_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); }

std::string human_bytes(std::uint64_t bytes) {
  if (bytes < 1'000'000) return fmt::format("{:.1f} kB", static_cast<double>(bytes) / 1e3);
  return megabytes(bytes);
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

}  // namespace certbench::reports
