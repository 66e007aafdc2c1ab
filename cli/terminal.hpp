#pragma once
// What certbench shows a person: one-line notes and a progress line on stderr (the progress
// line only when stderr is a terminal), human-readable numbers.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "certbench/fixtures/seeder.hpp"
#include "certbench/reports/format.hpp"

namespace certbench::cli {

/// "certbench: <message>" on stderr.
void note(std::string_view message);

using reports::thousands;
using reports::megabytes;
using reports::human_bytes;

/// Renders seeding progress as one rewritten line, at most ten times a second; silent when
/// stderr is not a terminal. clear() erases the line before other output.
class SeedProgressLine {
 public:
  SeedProgressLine();
  void operator()(const fixtures::SeedProgress& p);
  void clear();
  ~SeedProgressLine() { clear(); }

 private:
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point started_, last_;
  std::string last_stage_;
};

}  // namespace certbench::cli
