#pragma once
// The progress line of a long run on stderr (only when stderr is a terminal): the scenario, the
// point under way and an estimate of the time left, rewritten at most ten times a second.
#include "certbench/harness/scenarios.hpp"
#include "terminal.hpp"

namespace certbench::cli {

class ProgressLine {
 public:
  void operator()(const harness::RunProgress& p);
  void clear() { line_.clear(); }

 private:
  StatusLine line_;
};

}  // namespace certbench::cli
