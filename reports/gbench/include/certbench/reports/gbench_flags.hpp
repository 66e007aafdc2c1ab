#pragma once
// Google Benchmark's output flags, checked before Google Benchmark sees them (the benchmark programs
// and certbench bench). Left to it, a bad --benchmark_format or --benchmark_out_format prints its
// whole usage text on stdout and exits 0, and an --benchmark_out it cannot open exits 1
// (certbench's "a gate found a regression"); certbench promises one line on stderr and exit 2 for
// bad input. The flags' environment variables (BENCHMARK_FORMAT, …), which Google Benchmark also
// reads, count the same way. Header-only: the programs link no certbench library for it.
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace certbench::reports {

/// The value of Google Benchmark's flag `flag` as a program will see it: the last --flag=VALUE
/// among `args` (strings or char*), else its environment variable ($BENCHMARK_FORMAT for
/// benchmark_format), else none.
template <typename Args>
std::optional<std::string> gbench_flag(const Args& args, std::string_view flag) {
  std::optional<std::string> value;
  std::string env(flag);
  for (auto& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (const char* e = std::getenv(env.c_str())) value = e;
  const std::string prefix = "--" + std::string(flag) + "=";
  for (const auto& a : args)
    if (const std::string_view text(a); text.starts_with(prefix)) value = std::string(text.substr(prefix.size()));
  return value;
}

/// The problem with the format flags among `args`, if any.
template <typename Args>
std::optional<std::string> gbench_format_problem(const Args& args) {
  for (std::string_view flag : {"benchmark_format", "benchmark_out_format"})
    if (const auto v = gbench_flag(args, flag); v && *v != "console" && *v != "json" && *v != "csv")
      return "--" + std::string(flag) + " must be console, json or csv (got '" + *v + "')";
  return std::nullopt;
}

/// The problem with the output flags among a program's `args` — the formats, and an
/// --benchmark_out it cannot write — if any.
template <typename Args>
std::optional<std::string> gbench_output_problem(const Args& args) {
  if (auto problem = gbench_format_problem(args)) return problem;
  if (const auto out = gbench_flag(args, "benchmark_out"); out && !out->empty()) {
    // Opened as Google Benchmark will open it (it truncates the file when the run starts).
    std::ofstream probe(*out, std::ios::app);
    if (!probe) return "--benchmark_out: cannot write " + *out + ": " + std::strerror(errno);
  }
  return std::nullopt;
}

}  // namespace certbench::reports
