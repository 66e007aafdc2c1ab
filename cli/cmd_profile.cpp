// certbench profile: one listing path in a loop under perf, client and server side, as folded
// stacks, flame graphs, top functions and EXPLAIN (docs/profiling.md).
#include <fmt/format.h>

#include <fstream>
#include <unistd.h>

#include "certbench/core/errors.hpp"
#include "certbench/harness/environment.hpp"
#include "certbench/harness/profile_run.hpp"
#include "certbench/reports/flamegraph.hpp"
#include "certbench/sys/shutdown.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace {

namespace fs = std::filesystem;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw EnvironmentError("cannot write " + path.string() + " (disk full?)");
}

// The folder the profile ends up in: --out (absent or empty), else reports/out/profile-<UTC time>.
fs::path final_dir(const std::string& out) {
  std::error_code ec;
  if (!out.empty()) {
    const fs::path dir(out);
    if (fs::exists(dir, ec) && (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)))
      throw InputError("--out " + out + ": exists and is not an empty folder (profile writes a new one)");
    return fs::absolute(dir);
  }
  fs::path dir = fs::path("reports/out") / ("profile-" + harness::utc_now());
  for (int n = 2; fs::exists(dir, ec); ++n)
    dir = fs::path("reports/out") / ("profile-" + harness::utc_now() + "-" + std::to_string(n));
  return fs::absolute(dir);
}

std::string first_line_of(const std::string& sql, std::size_t width) {
  std::string line = sql.substr(0, sql.find('\n'));
  if (line.size() > width) line = line.substr(0, width - 3) + "...";
  return line;
}

struct Sides {
  reports::FoldedStacks client, server;
};

// One implementation's files in `dir`, and what the terminal shows of them.
std::string write_side(const harness::ProfileSide& side, const Sides& folded, Listing profiled, unsigned frequency,
                       const fs::path& dir) {
  fs::create_directories(dir);
  const std::string listing(to_string(profiled));
  const double rate = side.calls_per_second(), reference = side.reference_calls_per_second();
  std::string text = fmt::format(
      "{} ({}): {} calls in {:.1f} s under perf, {:.1f} calls/s; without perf {:.1f} calls/s ({:.2f}x)\n", listing,
      side.impl, thousands(side.calls), side.seconds, rate, reference, reference > 0 ? rate / reference : 0.0);
  const auto backends = [&] {
    std::string s;
    for (auto p : side.backends) s += (s.empty() ? "" : ",") + std::to_string(p);
    return s;
  }();
  struct Part {
    const char* name;
    const reports::FoldedStacks& stacks;
    std::string who;
  };
  for (const Part& part : {Part{"client", folded.client, fmt::format("certbench's thread {}", side.client_tid)},
                           Part{"server", folded.server,
                                fmt::format("PostgreSQL backend{} {}", side.backends.size() > 1 ? "s" : "", backends)}}) {
    reports::FlameGraphOptions svg;
    svg.title = fmt::format("certbench profile {} --impl {}: {}, {}", listing, side.impl, part.name, part.who);
    svg.subtitle = fmt::format("{} samples at {} Hz (cpu-clock) over {:.1f} s, {:.1f} calls/s", part.stacks.samples(),
                               frequency, side.seconds, rate);
    write_file(dir / fmt::format("{}.folded", part.name), reports::folded_text(part.stacks));
    write_file(dir / fmt::format("{}.svg", part.name), reports::flame_graph_svg(part.stacks, svg));
    write_file(dir / fmt::format("{}.top.txt", part.name),
               fmt::format("{} — {}\n", svg.title, svg.subtitle) + reports::top_functions_table(part.stacks, 40, 200));
    text += fmt::format("\n{} ({}): ", part.name, part.who) + reports::top_functions_table(part.stacks, 10, 100);
  }

  double server_ms = 0;
  for (const auto& s : side.statements) server_ms += s.server_ms;
  std::string explain = fmt::format("EXPLAIN (ANALYZE, BUFFERS) of every statement one call of {} ({}) ran: {} "
                                    "statement(s), {} execution(s), {:.3f} ms in the server\n",
                                    listing, side.impl, side.statements.size(), [&] {
                                      std::uint64_t n = 0;
                                      for (const auto& s : side.statements) n += s.executions;
                                      return n;
                                    }(),
                                    server_ms);
  text += "\n" + explain + fmt::format("  {:>6}  {:>10}  {:>5}  statement\n", "share", "server ms", "runs");
  for (std::size_t i = 0; i < side.statements.size(); ++i) {
    const auto& s = side.statements[i];
    const double share = server_ms > 0 ? s.server_ms / server_ms : 0;
    text += fmt::format("  {:>5.1f}%  {:>10.3f}  {:>5}  {}\n", 100 * share, s.server_ms, s.executions,
                        first_line_of(s.sql, 90));
    explain += fmt::format("\n-- statement {} of {}: {} execution(s), {:.3f} ms in the server ({:.1f}% of the call's)\n{}\n",
                           i + 1, side.statements.size(), s.executions, s.server_ms, 100 * share, s.sql);
    if (!s.params.empty()) {
      std::string params;
      for (std::size_t p = 0; p < s.params.size(); ++p)
        params += fmt::format("{}${} = {}", p ? ", " : "", p + 1, s.params[p] ? "'" + *s.params[p] + "'" : "NULL");
      explain += "-- parameters (the first execution's): " + params + "\n";
    }
    explain += s.plan;
  }
  write_file(dir / "explain.txt", explain);
  text += fmt::format("\nfiles in {}/: client and server .folded (speedscope), .svg (flame graph), .top.txt; "
                      "explain.txt\n",
                      dir.filename().string());
  return text;
}

}  // namespace

std::string write_profile(const std::vector<harness::ProfileSide>& sides, Listing listing, unsigned frequency,
                          const fs::path& dir) {
  fs::create_directories(dir);
  std::vector<Sides> folded;
  std::string summary;
  for (const auto& side : sides) {
    folded.push_back({reports::collapse_perf_script(side.client_script), reports::collapse_perf_script(side.server_script)});
    summary += (summary.empty() ? "" : "\n") + write_side(side, folded.back(), listing, frequency, dir / side.impl);
    for (const auto& data : side.recordings)  // <impl>.X.perf.data -> <impl>/X.perf.data
      fs::rename(data, dir / side.impl / data.filename().string().substr(side.impl.size() + 1));
  }
  if (sides.size() == 2) {
    const auto& before = sides[0].impl;
    const auto& after = sides[1].impl;
    for (const auto& [part, a_stacks, b_stacks] :
         {std::tuple{"client", &folded[0].client, &folded[1].client},
          std::tuple{"server", &folded[0].server, &folded[1].server}}) {
      const auto table = reports::share_changes_table(*a_stacks, *b_stacks, before, after, 10, 90);
      write_file(dir / fmt::format("diff.{}.txt", part),
                 reports::share_changes_table(*a_stacks, *b_stacks, before, after, 50, 200));
      summary += fmt::format("\n{} side, {} -> {}: ", part, before, after) + table;
    }
  }
  write_file(dir / "summary.txt", summary);
  return summary;
}

int profile(const ProfileArgs& args) {
  const PageArgs& a = args.page;
  PageRequest page{a.page, a.size, std::nullopt};
  page.validate();
  const fs::path out = final_dir(args.out);
  harness::ProfileSpec spec;
  spec.perf = harness::find_perf();  // before any work: no perf, nothing seeded, nothing written
  auto dataset = ensure_dataset(args.dataset);

  // Everything is written into a temporary folder beside the final one, renamed at the end.
  fs::create_directories(out.parent_path());
  const fs::path work = out.parent_path() / fmt::format(".{}.tmp-{}", out.filename().string(), ::getpid());
  bool done = false;
  sys::ScopedCleanup remove_work([&work, &done] {
    std::error_code ec;
    if (!done) fs::remove_all(work, ec);
  });
  fs::create_directories(work);

  spec.dsn = dataset.target.dsn();
  spec.schema = args.dataset.schema;
  spec.listing = a.listing;
  spec.impls = {a.impl};
  if (!args.against.empty()) spec.impls.push_back(args.against);
  spec.user = a.user == kNoUser ? -1 : a.user;
  spec.page = page;
  spec.duration = std::chrono::milliseconds(static_cast<std::int64_t>(args.seconds * 1000));
  spec.frequency = args.frequency;
  spec.work_dir = work;
  spec.keep_perf_data = args.keep_perf_data;

  std::vector<harness::ProfileSide> sides;
  {
    StatusLine line;
    sides = harness::run_profile(spec, [&](std::string_view what, double left) {
      line.show(left > 0 ? fmt::format("profile: {} · {:.0f} s left", what, left) : fmt::format("profile: {}", what));
    });
  }
  const std::string summary =
      write_profile(sides, a.listing, args.frequency, work);
  fmt::print("{}", summary);
  std::fflush(stdout);
  std::error_code ec;
  fs::rename(work, out, ec);
  if (ec) throw EnvironmentError("cannot move the profile into " + out.string() + ": " + ec.message());
  done = true;
  note(fmt::format("profile in {} (summary.txt; per implementation: client and server .folded, .svg, .top.txt, "
                   "explain.txt{})",
                   out.string(), sides.size() == 2 ? "; diff.client.txt, diff.server.txt" : ""));
  return 0;
}

Command add_profile(CLI::App& app) {
  auto st = std::make_shared<PageCommandOptions<ProfileArgs>>();
  auto& a = st->args;
  auto* sub = app.add_subcommand(
      "profile", "one listing path in a loop under Linux perf: flame graphs, folded stacks and top functions of "
                 "certbench's thread and of the PostgreSQL backend serving it, EXPLAIN (ANALYZE, BUFFERS) of its "
                 "statements (docs/profiling.md)");
  st->page.add(*sub, a.page);
  sub->add_option("--against", a.against,
                  "a second implementation, profiled after the first: the same outputs, and the functions whose "
                  "share of samples grew or shrank the most between the two")
      ->type_name("IMPL");
  sub->add_option("--seconds", a.seconds, "seconds of sampled calls per implementation")
      ->type_name("S")
      ->check(CLI::Range(0.2, 600.0))
      ->capture_default_str();
  sub->add_option("--frequency", a.frequency, "samples per second (perf -F, software event cpu-clock)")
      ->type_name("HZ")
      ->check(CLI::Range(10u, 20000u))
      ->capture_default_str();
  sub->add_option("--out", a.out, "the folder to write (new or empty; default: reports/out/profile-<UTC time>/)")
      ->type_name("DIR");
  sub->add_flag("--keep-perf-data", a.keep_perf_data,
                "keep perf's recordings (perf.data, or client.perf.data and server.perf.data) for perf report");
  st->dataset.add(*sub, a.dataset);
  sub->footer(std::string(sub->get_footer()) +
              "\nNeeds perf (Debian's linux-perf; $CERTBENCH_PERF names another) and the right to attach to the "
              "PostgreSQL backend: root, or the backend's own user with kernel.perf_event_paranoid <= 2. The user "
              "listing shows the busiest owner's certificates unless --user.");
  return {sub, [st] {
            auto& args = st->args;
            st->page.finish(false);
            if (!args.against.empty()) check_listing_impl(args.against, "--against");
            if (args.against == args.page.impl)
              throw UsageError("--against names the implementation --impl already profiles");
            st->dataset.finish();
            return profile(args);
          }};
}

}  // namespace certbench::cli
