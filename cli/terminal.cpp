#include "terminal.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace certbench::cli {

void note(std::string_view message) { fmt::print(stderr, "certbench: {}\n", message); }

SeedProgressLine::SeedProgressLine()
    : tty_(isatty(STDERR_FILENO) == 1), started_(std::chrono::steady_clock::now()) {}

void SeedProgressLine::operator()(const fixtures::SeedProgress& p) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  bool new_stage = p.stage != last_stage_;
  if (!new_stage && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  last_stage_ = std::string(p.stage);
  double secs = std::chrono::duration<double>(now - started_).count();
  double pct = p.rows_total ? 100.0 * static_cast<double>(p.rows_done) / static_cast<double>(p.rows_total) : 0;
  std::string line = fmt::format("seeding {:5.1f}% of rows copied, {:.0f} s: {}", pct, secs, p.stage);
  // A line longer than the terminal wraps, and "\r" could no longer erase it.
  winsize ws{};
  std::size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  if (line.size() >= width) line.resize(width - 1);
  fmt::print(stderr, "\r\033[K{}", line);
  std::fflush(stderr);
  shown_ = true;
}

void SeedProgressLine::clear() {
  if (shown_) fmt::print(stderr, "\r\033[K");
  shown_ = false;
}

}  // namespace certbench::cli
