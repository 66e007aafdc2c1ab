#include "terminal.hpp"

#include <cstdio>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace certbench::cli {

void note(std::string_view message) {
  std::fflush(stdout);  // what was printed before it comes before it, also when both go to one file
  fmt::print(stderr, "certbench: {}\n", message);
}

StatusLine::StatusLine() : tty_(isatty(STDERR_FILENO) == 1) {}

void StatusLine::show(std::string line, bool now) {
  if (!tty_) return;
  const auto t = std::chrono::steady_clock::now();
  if (shown_ && !now && t - last_ < std::chrono::milliseconds(100)) return;
  last_ = t;
  // A line longer than the terminal wraps, and "\r" could no longer erase it.
  winsize ws{};
  const std::size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
  if (line.size() >= width) line.resize(width - 1);
  fmt::print(stderr, "\r\033[K{}", line);
  std::fflush(stderr);
  shown_ = true;
}

void StatusLine::clear() {
  if (shown_) fmt::print(stderr, "\r\033[K");
  shown_ = false;
}

void SeedProgressLine::operator()(const fixtures::SeedProgress& p) {
  if (!line_.visible()) return;
  const bool new_stage = p.stage != last_stage_;
  last_stage_ = std::string(p.stage);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double pct = p.rows_total ? 100.0 * static_cast<double>(p.rows_done) / static_cast<double>(p.rows_total) : 0;
  line_.show(fmt::format("seeding {:5.1f}% of rows copied, {:.0f} s: {}", pct, secs, p.stage), new_stage);
}

}  // namespace certbench::cli
