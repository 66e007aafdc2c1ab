#pragma once
// The file-save sweep and its table, shared by `certbench run` and `certbench saves`.
#include <string>
#include <vector>

#include "certbench/harness/save_run.hpp"
#include "commands.hpp"
#include "dataset.hpp"

namespace certbench::cli {

/// Measures every implementation at every concurrency in `args` and prints the table and the
/// ratios at the highest concurrency. Saved files go to a directory of the run's own.
std::vector<harness::SavePoint> measure_and_print_saves(const ReadyDataset& dataset, const std::string& schema,
                                                        const SaveLoadArgs& args);

}  // namespace certbench::cli
