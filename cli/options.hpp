#pragma once
// The options several commands share, and the usage line generated from the options each command
// declares (CLI11). Each command declares its own options beside its work, in its cmd_*.cpp.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "certbench/core/listing.hpp"
#include "certbench/db/database_target.hpp"
#include "certbench/fixtures/dataset.hpp"
#include "commands.hpp"

namespace certbench::cli {

extern const char* const kDatabaseHelp;  ///< where the database comes from, for the footers
extern const char* const kDatasetHelp;   ///< which dataset a command uses, for the footers

/// `names` as a sentence: "a, b or c" (`last` "and": "a, b and c").
std::string one_of(std::span<const std::string_view> names, std::string_view last = "or");

/// The names of the commands from the root to `sub`: "certbench db up".
std::string command_path(const CLI::App& sub);

/// "certbench run [--quick] [--out DIR] …" from the options `sub` declares, in their order.
std::string usage_of(const CLI::App& sub);

/// --dsn and --data-dir (one or the other).
void add_target_options(CLI::App& sub, db::TargetOptions& target);

/// --save-dir and --keep-files: where the file saves' own directory is made, and whether it stays
/// (run, saves).
void add_save_dir_options(CLI::App& sub, SaveLoadArgs& load);

/// --runner, --pushgateway (an http:// or https:// URL, else bad usage) and --require-push.
/// `what`: the series the command makes, for the help ("the run's series").
void add_push_options(CLI::App& sub, PushArgs& push, std::string_view what);

/// --scale, --seed, --indexes, --schema, and the target: the commands that work on a dataset.
class DatasetOptions {
 public:
  /// `scale_required`: seed builds the dataset --scale names, and needs it.
  void add(CLI::App& sub, DatasetArgs& args, bool scale_required = false);
  /// Checks them and fills `args` in; throws UsageError.
  void finish() const;

 private:
  DatasetArgs* args_ = nullptr;
  std::string scale_, indexes_ = "best";
};

/// LISTING, --impl, --page, --size, --user: the commands that work on one listing page.
class PageOptions {
 public:
  /// Returns --page, for options that exclude it.
  CLI::Option* add(CLI::App& sub, PageArgs& args);
  /// `user_required`: the user listing needs --user (profile takes the busiest owner without it).
  void finish(bool user_required = true) const;

 private:
  PageArgs* args_ = nullptr;
  std::string listing_;
};

/// The options of a command on one page of one listing of a dataset (show, load, profile), kept
/// alive by the command until it runs.
template <typename Args>
struct PageCommandOptions {
  Args args;
  DatasetOptions dataset;
  PageOptions page;
};

/// Throws UsageError unless `name` is a listing implementation (the registry's names).
void check_listing_impl(const std::string& name, const std::string& option = "--impl");

/// "a,b,c" -> {"a", "b", "c"}; an empty item is bad usage.
std::vector<std::string> split_list(const std::string& text);

/// --scales: dataset sizes, sorted, each once.
std::vector<std::uint64_t> parse_scales(const std::string& text);

/// A comma-separated list of counts from 1 to `max` (--concurrency, --loop-concurrency).
std::vector<unsigned> parse_counts(const std::string& text, const std::string& option, unsigned max);

}  // namespace certbench::cli
