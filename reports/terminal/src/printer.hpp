#pragma once
// What the terminal report's sections share: where they print and what they read (the run).
#include <cstdio>
#include <fmt/format.h>
#include <string_view>
#include <vector>

#include "certbench/results/run.hpp"
#include "certbench/results/statistics.hpp"

namespace certbench::reports::terminal {

struct Printer {
  const results::Run& run;
  std::FILE* out;

  template <typename... Args>
  void print(fmt::format_string<Args...> f, Args&&... args) const {
    fmt::print(out, f, std::forward<Args>(args)...);
  }

  [[nodiscard]] std::vector<const results::Series*> family(std::string_view f) const { return run.of_family(f); }
  [[nodiscard]] const results::Delta* delta(const results::Series& other, results::Metric m) const {
    return run.against_naive(other, m);
  }
};

inline results::Summary summary(const results::Series& s, results::Metric m) {
  const auto* v = s.samples_of(m);
  return v == nullptr ? results::Summary{} : results::summarize(*v);
}

/// The API over HTTP (family http): one row per endpoint, implementation and load.
void print_http(const Printer& p);

}  // namespace certbench::reports::terminal
