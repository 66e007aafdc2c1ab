// report.md's growth of cost with the dataset (the fits) and the deep pages (family listing_depth).
#include "certbench/results/format.hpp"
#include "writer.hpp"

namespace certbench::reports::markdown {

void Writer::growth() {
  if (run.fits.empty()) return;
  line("## How cost grows");
  line("");
  line("The listings measured again on datasets of several sizes: cost ~ scale^k, k fitted by least squares on "
       "the log of the medians against the log of the scale (1: linear in the dataset, 0: flat), with a 95% "
       "interval from resampling each scale's calls.");
  line("");
  const auto paths = paths_of(run.fits);
  for (const auto& p : paths) chart("growth_" + p, p + " cost against dataset size");
  line("| path | implementation | metric | k (95% interval) | scales |");
  line("|---|---|---|--:|---|");
  for (const auto& f : run.fits) {
    std::string scales;
    for (double s : f.scales) scales += (scales.empty() ? "" : ", ") + results::thousands(static_cast<std::uint64_t>(s));
    line("| {} | {} | {} | {} | {} |", f.path, f.implementation, results::name(f.metric),
         results::interval_text(f.exponent, results::exponent), scales);
  }
  line("");
  const auto depth = family(results::family::listing_depth);
  if (depth.empty()) return;
  line("### Deep pages");
  line("");
  line("The limited listings at pages 1, 100 and 1000, by OFFSET and by keyset (cursor), at {} certificates: "
       "OFFSET pages cost more the deeper they are; keyset pages should not.",
       results::thousands(static_cast<std::uint64_t>(depth.front()->parameter("scale").value_or(0))));
  line("");
  line("| path | by | page | median | p95 |");
  line("|---|---|--:|--:|--:|");
  for (const auto* s : depth) {
    const auto lat = summary(*s, Metric::latency);
    line("| {} | {} | {:.0f} | {} | {} |", s->path, s->parameter("keyset").value_or(0) ? "keyset" : "offset",
         s->parameter("page").value_or(0), results::duration(lat.median), results::duration(lat.p95));
  }
  line("");
}

}  // namespace certbench::reports::markdown
