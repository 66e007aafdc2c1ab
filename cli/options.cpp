#include "options.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "certbench/core/errors.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"

namespace certbench::cli {

const char* const kDatabaseHelp =
    "Database: --dsn DSN, else $DATABASE_URL, else libpq's $PGHOST/$PGPORT/…, else --data-dir DIR "
    "(a persistent embedded cluster, left running), else a throwaway embedded PostgreSQL started "
    "for this command and removed afterwards.";

const char* const kDatasetHelp =
    "Dataset: without --scale, the dataset ready in the schema is used as it is (or 100k certificates "
    "are seeded); with --scale, that dataset is seeded or reused.";

std::string one_of(std::span<const std::string_view> names, std::string_view last) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " " + std::string(last) + " " : ", ";
    out += names[i];
  }
  return out;
}

std::string command_path(const CLI::App& sub) {
  std::string path = sub.get_name();
  for (const CLI::App* parent = sub.get_parent(); parent != nullptr; parent = parent->get_parent())
    path = parent->get_name() + " " + path;
  return path;
}

namespace {

// CLI11 appends each check's description to the type name ("S:FLOAT in [0 - 600]",
// "R:POSITIVE", "A|B:{A,B}"): the name alone, keeping a name's own colon ("HOST:PORT").
std::string type_alone(const std::string& type) {
  static constexpr std::array<std::string_view, 12> kChecks{"POSITIVE", "NONNEGATIVE", "UINT",  "INT",
                                                            "FLOAT",    "NUMBER",      "TEXT",  "FILE",
                                                            "DIR",      "PATH(existing)", "PATH(non-existing)",
                                                            "IPV4"};
  for (std::size_t colon = type.find(':'); colon != std::string::npos; colon = type.find(':', colon + 1)) {
    const std::string_view rest = std::string_view(type).substr(colon + 1);
    const std::string_view segment = rest.substr(0, rest.find(':'));
    if (segment.starts_with('{') || segment.find(" in [") != std::string_view::npos ||
        std::find(kChecks.begin(), kChecks.end(), segment) != kChecks.end())
      return type.substr(0, colon);
  }
  return type;
}

}  // namespace

std::string usage_of(const CLI::App& sub) {
  std::string usage = command_path(sub);
  std::vector<std::string> children;
  for (const CLI::App* child : sub.get_subcommands([](const CLI::App* c) { return !c->get_group().empty(); }))
    children.push_back(child->get_name());
  if (!children.empty()) {
    std::string joined;
    for (const auto& c : children) joined += (joined.empty() ? "" : "|") + c;
    usage += " <" + joined + ">";
  }
  for (const CLI::Option* o : sub.get_options()) {
    if (o == sub.get_help_ptr() || o == sub.get_help_all_ptr()) continue;
    const std::string type = type_alone(o->get_type_name());
    if (o->get_positional()) {
      usage += " " + (type.empty() || type == "TEXT" ? o->get_name() : type);
      continue;
    }
    std::string text = o->get_name();
    if (o->get_expected_min() > 0) text += " " + (type.empty() ? std::string("VALUE") : type);
    usage += o->get_required() ? " " + text : " [" + text + "]";
  }
  if (!children.empty()) usage += " [OPTIONS]";
  return usage;
}

void add_target_options(CLI::App& sub, db::TargetOptions& target) {
  auto* dsn = sub.add_option("--dsn", target.dsn, "PostgreSQL connection string (URI or key=value)")->type_name("DSN");
  sub.add_option("--data-dir", target.data_dir,
                 "use the persistent embedded cluster in DIR (started if needed, left running)")
      ->type_name("DIR")
      ->excludes(dsn);
}

void add_save_dir_options(CLI::App& sub, SaveLoadArgs& load) {
  sub.add_option("--save-dir", load.save_dir,
                 "file saves: where the run's own directory of saved files is made (default: /tmp)")
      ->type_name("DIR");
  sub.add_flag("--keep-files", load.keep_files, "file saves: keep the saved files (their directory is printed)");
}

void add_push_options(CLI::App& sub, PushArgs& push, std::string_view what) {
  sub.add_option("--runner", push.runner,
                 fmt::format("the runner label of {}: which machine ran it (default: the run's host name)", what))
      ->type_name("NAME");
  const CLI::Validator http_url(
      [](std::string& url) -> std::string {
        std::string lower = url;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const bool query = url.find_first_of("?#") != std::string::npos;  // the push appends a path
        for (std::string_view scheme : {"http://", "https://"})
          if (lower.starts_with(scheme) && url.size() > scheme.size() && url[scheme.size()] != '/' && !query) return "";
        return "takes an http:// or https:// URL without a query, e.g. http://127.0.0.1:9091 (got '" + url + "')";
      },
      "");
  auto* gateway = sub.add_option("--pushgateway", push.pushgateway,
                                 fmt::format("push {} to this Pushgateway at the end (job certbench, grouped by "
                                             "--runner; replaces the group; 10 s timeout, one retry); a failed push is "
                                             "one warning, the files are written anyway",
                                             what))
                      ->type_name("URL")
                      ->check(http_url);
  sub.add_flag("--require-push", push.require_push, "a failed push exits 3")->needs(gateway);
}

void DatasetOptions::add(CLI::App& sub, DatasetArgs& args, bool scale_required) {
  args_ = &args;
  auto* s = sub.add_option("--scale", scale_, "total certificates across all certificate tables (e.g. 100000, 100k, 1M)")
                ->type_name("N");
  if (scale_required) s->required();
  sub.add_option("--seed", args.spec.seed, "generator seed: same scale + seed = identical rows")
      ->type_name("S")
      ->capture_default_str();
  sub.add_option("--indexes", indexes_, "secondary indexes: none, review (the review's recommendations), best")
      ->type_name("none|review|best")
      ->capture_default_str();
  sub.add_option("--schema", args.schema, "certbench's own schema; nothing outside it is touched")
      ->type_name("NAME")
      ->capture_default_str();
  add_target_options(sub, args.target);
  sub.footer(std::string(scale_required ? "" : std::string(kDatasetHelp) + "\n") + kDatabaseHelp);
}

void DatasetOptions::finish() const {
  auto& spec = args_->spec;
  spec.scale = parse_count(scale_.empty() ? "100k" : scale_, "--scale");
  const auto set = fixtures::parse_index_set(indexes_);
  if (!set) throw UsageError("--indexes must be none, review or best (got '" + indexes_ + "')");
  spec.indexes = *set;
  spec.validate();
  fixtures::check_schema_name(args_->schema);
  args_->scale_given = !scale_.empty();
}

namespace {

Listing parse_listing(const std::string& name) {
  if (name == "public") return Listing::public_certificates;
  if (name == "user") return Listing::user_certificates;
  if (name == "admin") return Listing::all_certificates_with_users;
  if (name == "endpoint") return Listing::certificates_endpoint;
  throw UsageError("the listing must be public, user, admin or endpoint (got '" + name + "')");
}

}  // namespace

void check_listing_impl(const std::string& name, const std::string& option) {
  const auto names = harness::listing_implementations();
  if (std::find(names.begin(), names.end(), name) == names.end())
    throw UsageError(option + " must be " + one_of(names) + " (got '" + name + "')");
}

CLI::Option* PageOptions::add(CLI::App& sub, PageArgs& args) {
  args_ = &args;
  sub.add_option("listing", listing_, "public, user, admin (all certificates with their owners) or endpoint "
                                      "(public, with spa and template names)")
      ->type_name("public|user|admin|endpoint")
      ->required();
  sub.add_option("--impl", args.impl,
                 "the implementation: " + one_of(harness::listing_implementations()) +
                     " (docs/listing.md says what each does)")
      ->type_name("IMPL")
      ->capture_default_str();
  auto* page = sub.add_option("--page", args.page, "page number, from 1")->type_name("N")->capture_default_str();
  sub.add_option("--size", args.size, "rows per page, 1 to 1000")->type_name("M")->capture_default_str();
  sub.add_option("--user", args.user, "the user whose certificates the user listing shows")->type_name("ID");
  return page;
}

void PageOptions::finish(bool user_required) const {
  args_->listing = parse_listing(listing_);
  check_listing_impl(args_->impl);
  const bool user_listing = args_->listing == Listing::user_certificates;
  if (args_->user != kNoUser && !user_listing) throw UsageError("--user applies to the user listing only");
  if (user_listing && args_->user == kNoUser && user_required) throw UsageError("the user listing needs --user ID");
  if (user_listing && args_->user < 0)
    throw UsageError("user ids are not negative (got " + std::to_string(args_->user) + ")");
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (out.back().empty()) throw UsageError("empty item in the list '" + text + "'");
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

std::vector<std::uint64_t> parse_scales(const std::string& text) {
  std::vector<std::uint64_t> out;
  for (const auto& item : split_list(text)) {
    const auto scale = parse_count(item, "--scales");
    if (scale < 1 || scale > fixtures::kMaxScale)
      throw UsageError("--scales takes sizes from 1 to " + std::to_string(fixtures::kMaxScale) + " (got " + item + ")");
    out.push_back(scale);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<unsigned> parse_counts(const std::string& text, const std::string& option, unsigned max) {
  std::vector<unsigned> out;
  for (const auto& item : split_list(text)) {
    const auto n = parse_count(item, option);
    if (n < 1 || n > max)
      throw UsageError(option + " takes numbers from 1 to " + std::to_string(max) + " (got " + item + ")");
    out.push_back(static_cast<unsigned>(n));
  }
  return out;
}

}  // namespace certbench::cli
