#pragma once
// Google Benchmark's output flags, checked before Google Benchmark sees them. Left to it, a bad
// --benchmark_format or --benchmark_out_format prints its whole usage text on stdout and exits 0,
// and an --benchmark_out it cannot open exits 1 (certbench's "a gate found a regression"); certbench
// promises one line on stderr and exit 2 for bad input. The flags' environment variables
// (BENCHMARK_FORMAT, …), which Google Benchmark also reads, are checked the same way.
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certbench::bench {

/// The problem with the output flags among a program's arguments, if any.
inline std::optional<std::string> output_flags_problem(const std::vector<char*>& args) {
  auto value_of = [&](std::string_view flag, const char* env) -> std::optional<std::string> {
    std::optional<std::string> value;
    if (const char* e = std::getenv(env)) value = e;
    const std::string prefix = "--" + std::string(flag) + "=";
    for (const char* a : args)  // the last one counts, as in Google Benchmark
      if (std::string_view(a).starts_with(prefix)) value = std::string(a + prefix.size());
    return value;
  };
  for (auto [flag, env] : {std::pair{"benchmark_format", "BENCHMARK_FORMAT"},
                           std::pair{"benchmark_out_format", "BENCHMARK_OUT_FORMAT"}}) {
    const auto v = value_of(flag, env);
    if (v && *v != "console" && *v != "json" && *v != "csv")
      return "--" + std::string(flag) + " must be console, json or csv (got '" + *v + "')";
  }
  if (const auto out = value_of("benchmark_out", "BENCHMARK_OUT"); out && !out->empty()) {
    // Opened as Google Benchmark will open it (it truncates the file when the run starts).
    std::ofstream probe(*out, std::ios::app);
    if (!probe) return "--benchmark_out: cannot write " + *out + ": " + std::strerror(errno);
  }
  return std::nullopt;
}

}  // namespace certbench::bench
