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
#include <filesystem>
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

}  // namespace certbench::reports
