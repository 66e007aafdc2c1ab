#include "progress.hpp"

#include <fmt/format.h>

namespace certbench::cli {

void ProgressLine::operator()(const harness::RunProgress& p) {
  if (!line_.visible()) return;
  line_.show(fmt::format("{}: {} · about {:.0f} s left", p.scenario, p.detail, p.seconds_left));
}

}  // namespace certbench::cli
