#pragma once
// results.json: a Run as JSON (reports/schema/results.schema.json documents the layout) and back.
// Reading checks schema_version first: a file of another version is refused with one line, never
// half-read.
//
// Thread safety: pure functions.
#include <filesystem>
#include <string>
#include <string_view>

#include "certbench/results/run.hpp"

namespace certbench::results {

/// The Run as results.json text (pretty-printed, ending in a newline).
std::string to_json(const Run& run);

/// Parses results.json text. Throws InputError naming `origin` (a file name, for messages) and the
/// problem: not JSON, another schema_version, a missing or mistyped field.
Run from_json(std::string_view text, std::string_view origin = "results.json");

/// Reads and parses a results file; InputError (exit 2) if it cannot be read or parsed.
Run load(const std::filesystem::path& path);

}  // namespace certbench::results
