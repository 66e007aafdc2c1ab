#include "progress.hpp"

#include <fmt/format.h>

#include "certbench/sys/shutdown.hpp"

namespace certbench::cli {

void ProgressLine::operator()(const harness::RunProgress& p) {
  if (sys::shutdown_requested()) return;  // the process is ending: its last line is the reason
  if (line_.visible()) {
    line_.show(fmt::format("{}: {} · about {:.0f} s left", p.scenario, p.detail, p.seconds_left));
    return;
  }
  if (p.scenario == scenario_) return;  // a log: a line when a scenario starts
  scenario_ = std::string(p.scenario);
  note(p.seconds_left >= 1 ? fmt::format("{} · about {:.0f} s left", p.scenario, p.seconds_left) : scenario_);
}

}  // namespace certbench::cli
