#include "certbench/reports/markdown.hpp"

#include "certbench/core/errors.hpp"
#include "certbench/results/format.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "charts.hpp"
#include "sections.hpp"
#include "writer.hpp"

namespace certbench::reports {

namespace markdown {
namespace {

std::string shell_quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./:,@%+") ==
                          std::string::npos)
    return arg;
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

void Writer::header() {
  const auto& e = run.environment;
  line("# certbench run, {}", e.started_utc);
  line("");
  if (!run.complete)
    line("> **Incomplete run** — {}. What was measured before is below; the rest is missing.\n",
         run.failure.empty() ? "it stopped early" : cell(run.failure));
  line("certbench {}{} · PostgreSQL {} · {} certificates (seed {}, indexes {}) · {} cores, {}", e.certbench_version,
       e.git_commit.empty() ? ""
                            : " at `" + e.git_commit.substr(0, 12) + "`" +
                                  (e.git_dirty ? " **with uncommitted changes** (no commit holds this code)" : ""),
       e.postgres_version,
       results::thousands(e.dataset_scale), e.dataset_seed, e.dataset_indexes, e.cores, e.cpu_model);
  line("");
}

void Writer::environment() {
  const auto& e = run.environment;
  line("## Environment and how to reproduce");
  line("");
  line("| | |");
  line("|---|---|");
  line("| certbench | {} {}{} |", e.certbench_version, e.git_commit.empty() ? "" : "`" + e.git_commit + "`",
       e.git_dirty ? " with uncommitted changes" : "");
  line("| PostgreSQL | {} |", e.postgres_version);
  for (const auto& [k, v] : e.postgres_settings) line("| `{}` | {} |", k, cell(v));
  line("| Redis | {} |", e.redis_version.empty() ? "not used" : e.redis_version);
  line("| machine | {} cores, {}; {}; host {} |", e.cores, e.cpu_model, e.kernel, e.host);
  line("| dataset | {} |", e.dataset_fingerprint);
  line("| started, ended (UTC) | {}, {} |", e.started_utc, e.ended_utc);
  line("");
  std::string command;
  for (std::size_t i = 0; i < e.options.size(); ++i)
    command += (i ? " " : "") + (i == 0 ? std::string("certbench") : shell_quote(e.options[i]));
  if (!command.empty()) {
    line("```sh");
    line("scripts/{}", command);
    line("```");
    line("");
  }
  line("Figures drift from run to run on a shared machine; compare ratios within a run, or two runs with "
       "`compare.py` on their `benchmarks.json`.");
}

}  // namespace markdown

namespace {

namespace fs = std::filesystem;
using markdown::Writer;
using results::Run;

}  // namespace

std::string report_markdown(const Run& run, const std::vector<std::string>& chart_names) {
  Writer w{run, chart_names, {}};
  w.header();
  w.headline();
  w.listings();
  w.compare();
  w.loop();
  w.fix_advice();
  w.caching();
  w.out += detail::anatomy_section(run, chart_names);
  w.saves();
  w.out += detail::http_section(run, chart_names);
  w.growth();
  w.indexes();
  w.why();
  w.environment();
  return w.out;
}

ReportFiles write_report(const Run& run, const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw EnvironmentError("cannot make " + dir.string() + ": " + ec.message());
  ReportFiles files;
  const auto charts = detail::charts_of(run);
  files.charts = detail::render(charts, dir / "charts");
  std::vector<std::string> names;
  for (const auto& c : charts) names.push_back(c.name);
  files.markdown = dir / "report.md";
  sys::write_file_atomic(files.markdown, report_markdown(run, names) + detail::profiles_section(dir));
  return files;
}

}  // namespace certbench::reports
