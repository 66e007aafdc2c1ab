#pragma once
// The progress line of a long run on stderr (only when stderr is a terminal): the scenario, the
// point under way and an estimate of the time left, rewritten at most ten times a second.
#include <chrono>

#include "certbench/harness/scenarios.hpp"

namespace certbench::cli {

class ProgressLine {
 public:
  ProgressLine();
  void operator()(const harness::RunProgress& p);
  void clear();
  ~ProgressLine() { clear(); }

 private:
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace certbench::cli
