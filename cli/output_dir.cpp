#include "output_dir.hpp"

#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "certbench/core/errors.hpp"
#include "certbench/harness/environment.hpp"
#include "certbench/reports/prometheus.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/atomic_file.hpp"

namespace certbench::cli {
namespace fs = std::filesystem;

fs::path make_out_dir(const std::string& out) {
  fs::path dir = out.empty() ? fs::path("reports/out") / harness::utc_now() : fs::path(out);
  std::error_code ec;
  if (out.empty())
    for (int n = 2; fs::exists(dir, ec); ++n) dir = fs::path("reports/out") / (harness::utc_now() + "-" + std::to_string(n));
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw InputError("--out " + dir.string() + ": cannot make the folder (" + ec.message() + ")");
  // An existing folder may refuse writes (its permissions, a read-only file system): said now, not
  // after the measurement it would lose.
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    const int error = errno;
    throw InputError("--out " + dir.string() + ": cannot write into the folder (" + std::strerror(error) + ")");
  }
  return fs::absolute(dir);
}

void write_results(const results::Run& run, const fs::path& dir, const std::string& runner) {
  sys::write_file_atomic(dir / "results.json", results::to_json(run));
  reports::write_textfile(run, runner, dir / "metrics.prom");
}

}  // namespace certbench::cli
