#include <fmt/format.h>

#include <algorithm>

#include "certbench/results/format.hpp"
#include "certbench/results/anatomy.hpp"
#include "sections.hpp"

namespace certbench::reports::detail {

std::string anatomy_section(const results::Run& run, const std::vector<std::string>& charts) {
  const auto rows = results::anatomies_of(run);
  if (rows.empty()) return "";
  std::string out =
      "## Where the time goes\n\n"
      "The median call split into its parts: its thread's own CPU outside the database calls — decoding, "
      "sorting, building the result (`CLOCK_THREAD_CPUTIME_ID` around the same calls as the latency, less the CPU "
      "inside the database wrapper) —, the server's planning and execution of a call's statements "
      "(`pg_stat_statements` with `track_planning`, per call: the median of readings around each timed call of a "
      "listing taking 5 ms or more, otherwise over calls run alone after the rounds), and *waiting*: the rest of "
      "the call — round trips, libpq, the kernel, scheduling. *libpq CPU* is the thread's CPU inside the database "
      "calls (sending, receiving and parsing rows as they arrive, while the server works): part of waiting, shown "
      "apart. *decoding* is the part of client CPU spent decoding result rows into certificates, where the "
      "implementation marks its decoding loop (the rest is sorting, merging, building the page). A part that was "
      "not measured is left blank (—), never estimated, and then so is waiting; a path that "
      "sends no statement has no server part.\n\n";
  if (std::find(charts.begin(), charts.end(), "listing_anatomy") != charts.end())
    out += "![each listing call's parts as shares of its median](charts/listing_anatomy.svg)\n\n";
  out += "| path | implementation | mode | median | client CPU | of which decoding | server planning | "
         "server execution | waiting | round trips | libpq CPU |\n|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n";
  auto part = [](const std::optional<double>& v) { return v ? results::duration(*v) : std::string("—"); };
  std::vector<std::string> planning_heavy;
  for (const auto& [s, a, trips] : rows) {
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", s->path, s->implementation,
                       s->mode, results::duration(a.latency), results::duration(a.client_cpu), part(a.decode_cpu), part(a.planning),
                       part(a.execution),
                       part(a.waiting), trips ? results::whole(*trips) : "—", part(a.statement_cpu));
    if (a.planning_dominates()) planning_heavy.push_back(fmt::format("{} ({})", s->path, s->implementation));
  }
  out += "\n";
  if (!planning_heavy.empty()) {
    std::string list;
    for (const auto& x : planning_heavy) list += (list.empty() ? "" : ", ") + x;
    out += "**Planning dominates** the server's time for " + list +
           ": the server spent longer planning their statements than executing them.\n\n";
  }
  return out;
}

}  // namespace certbench::reports::detail
