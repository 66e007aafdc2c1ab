// certbench saves: the file-save load on one event loop (issue #5): every implementation at each
// concurrency, interleaved, with throughput, latency and event-loop lag; `certbench run` prints the
// same table from a shorter sweep.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "certbench/core/errors.hpp"
#include "certbench/harness/save_run.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/shutdown.hpp"
#include "saves_table.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace fs = std::filesystem;

namespace {

// The run's own directory for saved files: removed afterwards (also on a shutdown signal) unless
// the user keeps it.
class SaveDirectory {
 public:
  SaveDirectory(const std::string& parent, bool keep) : dir_(make(parent)) {
    if (!keep) cleanup_.emplace([d = dir_] {
      std::error_code ec;
      fs::remove_all(d, ec);
    });
  }
  [[nodiscard]] const fs::path& path() const noexcept { return dir_; }

 private:
  static fs::path make(const std::string& parent) {
    const fs::path base = parent.empty() ? sys::throwaway_parent() : fs::path(parent);
    if (!fs::is_directory(base)) throw InputError("--save-dir " + base.string() + " is not a directory");
    return sys::make_unique_dir(base, "certbench-saves-");
  }
  fs::path dir_;
  std::optional<sys::ScopedCleanup> cleanup_;
};

const harness::SavePoint* find(const std::vector<harness::SavePoint>& points, SavePath path, std::string_view impl,
                               unsigned c) {
  for (const auto& p : points)
    if (p.path == path && p.impl == impl && p.load.concurrency == c) return &p;
  return nullptr;
}

std::string lag(double ms, const harness::LoopLoadResult& l) {
  return l.lag_samples == 0 ? std::string("-") : fmt::format("{:.2f}ms", ms);
}

}  // namespace

std::vector<harness::SavePoint> measure_and_print_saves(const ReadyDataset& dataset, const std::string& schema,
                                                        const SaveLoadArgs& args) {
  SaveDirectory dir(args.save_dir, args.keep_files);
  harness::SaveRunSpec spec;
  spec.dsn = dataset.target.dsn();
  spec.schema = schema;
  spec.dir = dir.path();
  spec.impls = args.impls;
  spec.concurrency = args.concurrency;
  spec.duration_per_point = std::chrono::milliseconds(static_cast<long>(args.seconds * 1000));
  spec.paths = args.paths;
  spec.image_bytes = args.image_bytes;
  spec.file_bytes = args.file_bytes;
  spec.options.fsync = args.fsync;
  spec.options.pool_threads = args.pool_threads;
  const bool tty = isatty(STDERR_FILENO) == 1;
  const auto points = harness::measure_saves(spec, [&](std::string_view what) {
    if (tty) fmt::print(stderr, "\r\033[Ksaving files: {}", what);
  });
  if (tty) fmt::print(stderr, "\r\033[K");
  if (points.empty()) {
    fmt::print("\nfile saves: not measured (no certificate of this dataset has an image to save)\n");
    return points;
  }

  const unsigned top = *std::max_element(args.concurrency.begin(), args.concurrency.end());
  for (SavePath path : args.paths) {
    const bool image = path == SavePath::base64_image;
    fmt::print("\nfile saves on one event loop: {} of a {} ({}), then its path recorded on the certificate row "
               "({}); {}; {:.1f} s per point\n",
               to_string(path), image ? "PNG" : "certificate PDF", image
                   ? fmt::format("{}, {} as a data URL", human_bytes(args.image_bytes),
                                 human_bytes(std::string_view("data:image/png;base64,").size() +
                                             impl::max_base64_length(args.image_bytes)))
                   : human_bytes(args.file_bytes),
               recorded_column(path),
               args.fsync ? "fsync before rename (durable before the row points at it)" : "no fsync", args.seconds);
    fmt::print("  {:<10} {:>5} {:>9} {:>10} {:>9} {:>9} {:>9} {:>10} {:>10} {:>10}\n", "impl", "conc", "reached",
               "saves/s", "p50", "p99", "lag p50", "lag p99", "lag max", "peak heap");
    for (const auto& p : points) {
      if (p.path != path) continue;
      const auto& l = p.load;
      fmt::print("  {:<10} {:>5} {:>9} {:>10.0f} {:>7.2f}ms {:>7.2f}ms {:>9} {:>10} {:>10} {:>10}\n", p.impl,
                 l.concurrency, l.max_in_flight, l.requests_per_second, l.latency_p50_ms, l.latency_p99_ms,
                 lag(l.lag_p50_ms, l), lag(l.lag_p99_ms, l), lag(l.lag_max_ms, l),
                 l.peak_allocated_bytes ? human_bytes(*l.peak_allocated_bytes)
                                        : std::string(p.impl == harness::kWriteCeiling ? "-" : "n/a"));
    }
    const auto* ceiling = find(points, path, harness::kWriteCeiling, top);
    if (ceiling != nullptr)
      fmt::print("  {}: the disk's ceiling, the atomic write alone (temporary file, write{}) of the same "
                 "bytes on as many threads as requests (at most {}): no decoding, no checks, no loop, no database\n",
                 harness::kWriteCeiling, args.fsync ? ", fsync, rename, directory fsync" : ", rename",
                 spec.max_ceiling_threads);
    const auto* naive = find(points, path, "naive", top);
    if (naive == nullptr) continue;
    fmt::print("\n  at {} concurrent (the review expected \"2-3x\" concurrency from async file I/O):\n", top);
    const double base = std::max(naive->load.requests_per_second, 1e-9);
    for (const auto& impl : args.impls) {
      const auto* p = find(points, path, impl, top);
      if (p == nullptr || impl == "naive") continue;
      fmt::print("    {:<10} {:.2f}x naive's throughput ({:.0f} vs {:.0f} saves/s); lag p99 {:.2f} ms vs naive's {:.2f} ms\n",
                 impl, p->load.requests_per_second / base, p->load.requests_per_second,
                 naive->load.requests_per_second, p->load.lag_p99_ms, naive->load.lag_p99_ms);
    }
    if (ceiling != nullptr)
      fmt::print("    {:<10} {:.2f}x naive's throughput ({:.0f} saves/s): the most any implementation could reach here\n",
                 harness::kWriteCeiling, ceiling->load.requests_per_second / base, ceiling->load.requests_per_second);
  }
  if (args.keep_files) note("saved files kept in " + dir.path().string());
  return points;
}

int saves(const SavesArgs& args) {
  const auto dataset = ensure_dataset(args.dataset);
  const auto points = measure_and_print_saves(dataset, args.dataset.schema, args.load);
  if (!args.goals) return 0;
  const unsigned top = 64;
  fmt::print("\ngoals of issue #5 (figures from this run, at {} concurrent):\n", top);
  for (SavePath path : args.load.paths) {
    const auto *naive = find(points, path, "naive", top), *optimized = find(points, path, "optimized", top),
               *uring = find(points, path, "io_uring", top), *ceiling = find(points, path, harness::kWriteCeiling, top);
    fmt::print("  {}:\n", to_string(path));
    if (naive == nullptr || optimized == nullptr) {
      fmt::print("    not measured (needs naive and optimized at {} concurrent)\n", top);
      continue;
    }
    const double base = naive->load.requests_per_second;
    const double ratio = optimized->load.requests_per_second / base;
    fmt::print("    optimized throughput: {:.2f}x naive   goal >= 3x: {}\n", ratio, ratio >= 3 ? "met" : "NOT met");
    if (ceiling != nullptr) {
      const double most = ceiling->load.requests_per_second / base;
      fmt::print("      the disk allows at most {:.2f}x naive here ({:.0f} saves/s, the write alone); optimized reached "
                 "{:.0f}% of that{}\n",
                 most, ceiling->load.requests_per_second, 100 * optimized->load.requests_per_second /
                 ceiling->load.requests_per_second,
                 most < 3 ? ": 3x is out of reach on this disk for any save that makes its file durable this way" : "");
    }
    fmt::print("    optimized event-loop lag p99: {:.2f} ms (naive's: {:.2f} ms)   goal <= 2 ms: {}\n",
               optimized->load.lag_p99_ms, naive->load.lag_p99_ms, optimized->load.lag_p99_ms <= 2 ? "met" : "NOT met");
    if (uring != nullptr)
      fmt::print("    io_uring vs thread pool: {:.2f}x the throughput, lag p99 {:.2f} ms vs {:.2f} ms\n",
                 uring->load.requests_per_second / optimized->load.requests_per_second, uring->load.lag_p99_ms,
                 optimized->load.lag_p99_ms);
  }
  return 0;
}

}  // namespace certbench::cli
