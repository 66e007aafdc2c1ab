#pragma once
// The Prometheus sink: a Run as metric families (docs/metrics.md lists every family and its
// labels), in the text exposition format that promtool accepts and node_exporter's textfile
// collector reads. Built on prometheus-cpp's plain MetricFamily and TextSerializer; prometheus-cpp's
// types stay in the source. Pushing to a Pushgateway and serving /metrics read the same families.
//
// Labels are bounded: runner, family, path, impl, mode, scale, concurrency, page, keyset, threads,
// sessions, baseline, metric, bound, id, kind, subject, verdict — never a run id or a timestamp (a run's identity is in
// certbench_run_info).
//
// Thread safety: pure functions; write_textfile writes one file atomically.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "certbench/results/run.hpp"

namespace certbench::reports {

/// The run as Prometheus text exposition, every series labelled runner=`runner`. An incomplete
/// run reports `last_success` (the previous complete run's end) when given.
std::string to_exposition(const results::Run& run, const std::string& runner,
                          std::optional<double> last_success = std::nullopt);

/// Writes the exposition to `path` atomically (a temporary file beside it, then rename), as
/// node_exporter's textfile collector needs. Throws EnvironmentError naming the path.
void write_textfile(const results::Run& run, const std::string& runner, const std::filesystem::path& path);

/// Where and how to push a run to a Pushgateway (the batch-job pattern).
struct PushOptions {
  std::string url;                             ///< e.g. http://127.0.0.1:9091
  std::string runner;                          ///< the grouping key's runner (and the series' label)
  std::chrono::milliseconds timeout{10'000};   ///< per attempt, connecting included
  unsigned attempts = 2;                       ///< a second try after a short pause
};

/// PUTs the exposition to URL/metrics/job/certbench/runner/<runner> (the runner URL-encoded):
/// the group is replaced, never added to, and its key never holds a run id. Throws
/// EnvironmentError naming the URL and the last failure when every attempt failed.
void push(const results::Run& run, const PushOptions& options);

/// /metrics served while a run measures (and for as long as the caller keeps it): the series of
/// `snapshot()` — what is measured so far — plus the scenario under way (`progress()`) and counts of
/// series and samples. Throws EnvironmentError when the address cannot be bound.
class MetricsServer {
 public:
  MetricsServer(const std::string& address, std::string runner, std::function<results::Run()> snapshot,
                std::function<std::string()> progress);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  /// The port it listens on (the one chosen, when the address asked for port 0).
  [[nodiscard]] int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace certbench::reports
