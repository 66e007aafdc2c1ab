#pragma once
// The main() of certbench's Google Benchmark programs: their own --certbench_NAME[=VALUE] flags
// taken out of the command line, Google Benchmark's output flags checked before any work
// (reports/gbench_flags.hpp), then the program's preparation (datasets, servers), its benchmarks under
// Google Benchmark's own reporters, and what the program does with the runs kept (goals, results).
// Exit codes as certbench's: 2 bad flags, 3 anything failing on the way.
#include <benchmark/benchmark.h>

#include <exception>
#include <functional>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "collecting_reporter.hpp"
#include "certbench/reports/gbench_flags.hpp"

namespace certbench::bench {

/// One --certbench_NAME flag: with `takes_value`, --certbench_NAME=VALUE hands VALUE to `set`
/// (which may throw on a bad one); without, --certbench_NAME hands it "".
struct Flag {
  std::string_view name;
  std::function<void(std::string_view value)> set;
  bool takes_value = true;
};

struct Program {
  std::string_view name;                                        ///< for messages: "bench_listing"
  std::vector<Flag> flags = {};
  std::function<void()> prepare = {};                           ///< after the flags, before Google Benchmark
  std::function<void()> register_benchmarks = {};
  std::function<void(const CollectingReporter&)> after_run = {};  ///< the runs kept: goals, results.json
};

inline int run_main(const Program& program, int argc, char** argv) {
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string_view a(argv[i]);
    bool taken = false;
    for (const auto& f : program.flags) {
      const std::string flag = "--certbench_" + std::string(f.name);
      if (f.takes_value ? !a.starts_with(flag + "=") : a != flag) continue;
      try {
        f.set(f.takes_value ? a.substr(flag.size() + 1) : std::string_view());
      } catch (const std::exception& e) {
        std::cerr << program.name << ": bad " << flag << ": " << e.what() << "\n";
        return 2;
      }
      taken = true;
      break;
    }
    if (!taken) rest.push_back(argv[i]);
  }
  if (auto problem = reports::gbench_output_problem(rest)) {  // before any work
    std::cerr << program.name << ": " << *problem << "\n";
    return 2;
  }
  try {
    if (program.prepare) program.prepare();
    int rest_argc = static_cast<int>(rest.size());
    benchmark::Initialize(&rest_argc, rest.data());
    if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
    if (program.register_benchmarks) program.register_benchmarks();
    // Google Benchmark's own reporters, as its flags ask; the runs are kept.
    CollectingReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    if (program.after_run) program.after_run(reporter);
    benchmark::Shutdown();
  } catch (const std::exception& e) {
    std::cerr << program.name << ": " << e.what() << "\n";
    return 3;
  }
  return 0;
}

}  // namespace certbench::bench
