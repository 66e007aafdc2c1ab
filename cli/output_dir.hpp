#pragma once
// Where a command's results go (--out): the folder, made before any measurement, and the files
// every command that measures writes into it.
#include <filesystem>
#include <string>

#include "certbench/results/run.hpp"

namespace certbench::cli {

/// Makes the output folder `out` so that a bad --out fails before anything is measured; `out`
/// empty: a new folder under reports/out named by the UTC time ("-2", … for a second run within
/// the same second). Throws InputError when it cannot be made or written into.
std::filesystem::path make_out_dir(const std::string& out);

/// results.json first (nothing measured is lost if a later file fails), then metrics.prom (the
/// series labelled with `runner`); each file whole or not at all.
void write_results(const results::Run& run, const std::filesystem::path& dir, const std::string& runner);

}  // namespace certbench::cli
