#pragma once
// The progress of a long run on stderr: on a terminal, one line rewritten at most ten times a
// second with the scenario, the point under way and an estimate of the time left; in a log (CI), a
// line as each scenario starts, with the estimate.
#include <string>

#include "certbench/harness/scenarios.hpp"
#include "terminal.hpp"

namespace certbench::cli {

class ProgressLine {
 public:
  void operator()(const harness::RunProgress& p);
  void clear() { line_.clear(); }

 private:
  StatusLine line_;
  std::string scenario_;  // the last one noted, in a log
};

}  // namespace certbench::cli
