#pragma once
// What certbench shows a person: one-line notes and a progress line on stderr (the progress
// line only when stderr is a terminal), human-readable numbers.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "certbench/fixtures/seeder.hpp"
#include "certbench/results/format.hpp"

namespace certbench::cli {

/// "certbench: <message>" on stderr.
void note(std::string_view message);

using results::thousands;
using results::megabytes;
using results::human_bytes;

/// One line on stderr, rewritten in place, at most ten times a second (unless `now`), cut to the
/// terminal's width; silent when stderr is not a terminal. clear() erases it before other output.
class StatusLine {
 public:
  StatusLine();
  void show(std::string line, bool now = false);
  void clear();
  ~StatusLine() { clear(); }
  [[nodiscard]] bool visible() const noexcept { return tty_; }

 private:
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_;
};

/// Seeding progress as a StatusLine: the share of rows copied, the time, what the tables are doing.
class SeedProgressLine {
 public:
  SeedProgressLine() : started_(std::chrono::steady_clock::now()) {}
  void operator()(const fixtures::SeedProgress& p);
  void clear() { line_.clear(); }

 private:
  StatusLine line_;
  std::chrono::steady_clock::time_point started_;
  std::string last_stage_;
};

}  // namespace certbench::cli
