#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "sections.hpp"

namespace certbench::reports::detail {

namespace fs = std::filesystem;

std::string profiles_section(const fs::path& dir) {
  std::error_code ec;
  const fs::path root = dir / "profile";
  if (!fs::is_directory(root, ec)) return "";
  std::vector<fs::path> listings;  // whole profiles only: one still being written starts with a dot
  for (const auto& entry : fs::directory_iterator(root, ec))
    if (entry.is_directory(ec) && entry.path().filename().string().front() != '.' &&
        fs::exists(entry.path() / "summary.txt", ec))
      listings.push_back(entry.path());
  if (listings.empty()) return "";
  std::sort(listings.begin(), listings.end());
  const auto link = [&](const fs::path& file, std::string_view text) {
    return fs::exists(file, ec) ? fmt::format("[{}]({})", text, fs::relative(file, dir, ec).generic_string())
                                : std::string("—");
  };
  std::string out =
      "## Profiles\n\n"
      "Each listing alone in a loop under Linux perf (`certbench run --profile`, as `certbench profile`; "
      "docs/profiling.md): flame graphs of certbench's thread (client) and of the PostgreSQL backend serving it "
      "(server), the top functions, and EXPLAIN (ANALYZE, BUFFERS) of every statement one call ran.\n\n"
      "| listing | implementation | client | server | top functions | statements |\n|---|---|---|---|---|---|\n";
  for (const auto& listing : listings) {
    std::vector<fs::path> impls;
    for (const auto& entry : fs::directory_iterator(listing, ec))
      if (entry.is_directory(ec)) impls.push_back(entry.path());
    std::sort(impls.begin(), impls.end());
    for (const auto& impl : impls)
      out += fmt::format("| {} | {} | {} | {} | {}, {} | {} |\n", listing.filename().string(), impl.filename().string(),
                         link(impl / "client.svg", "flame graph"), link(impl / "server.svg", "flame graph"),
                         link(impl / "client.top.txt", "client"), link(impl / "server.top.txt", "server"),
                         link(impl / "explain.txt", "EXPLAIN"));
  }
  out += "\nWhere the time moved between the implementations (the functions whose share of the samples changed most): ";
  std::string diffs;
  for (const auto& listing : listings)
    diffs += fmt::format("{}{} ({}, {})", diffs.empty() ? "" : "; ", listing.filename().string(),
                         link(listing / "diff.client.txt", "client"), link(listing / "diff.server.txt", "server"));
  return out + diffs + ".\n\n";
}

}  // namespace certbench::reports::detail
