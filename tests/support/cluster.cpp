#include "cluster.hpp"

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "certbench/db/connection.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/proc.hpp"

namespace fs = std::filesystem;

namespace certbench::testing {
namespace {
// PGCONNECT_TIMEOUT too: the connect-timeout test checks certbench's own default.
const std::vector<std::string> kForeignEnv = {"DATABASE_URL", "PGHOST",    "PGHOSTADDR", "PGPORT",           "PGDATABASE",
                                              "PGUSER",       "PGSERVICE", "PGOPTIONS",  "PGCONNECT_TIMEOUT"};
}

db::EmbeddedPostgres& shared_cluster() {
  static auto cluster = std::make_unique<db::EmbeddedPostgres>(db::EmbeddedPostgres::start_throwaway());
  return *cluster;
}

sys::RunResult run_certbench(const std::vector<std::string>& args,
                             const std::vector<std::string>& extra_env) {
  std::vector<std::string> argv{CERTBENCH_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return sys::run_capture(argv, extra_env, kForeignEnv);
}

pid_t spawn_certbench(const std::vector<std::string>& args, const std::string& output_path) {
  for (const auto& name : kForeignEnv) unsetenv(name.c_str());
  sys::SpawnOptions o;
  o.argv = {CERTBENCH_BINARY};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.output_path = output_path;
  return sys::spawn(o);
}

std::map<std::string, std::string> table_checksums(const std::string& dsn, const std::string& schema) {
  db::Connection c(dsn);
  auto tables = c.exec_params(
      "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname <> 'certbench_dataset' ORDER BY 1",
      {schema});
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < tables.rows(); ++i) {
    const std::string table = db::quote_identifier(schema) + "." + std::string(tables.text(i, 0));
    out[std::string(tables.text(i, 0))] = std::string(
        c.exec("SELECT md5(string_agg(t::text, E'\\n' ORDER BY t.id)) FROM " + table + " t").text(0, 0));
  }
  return out;
}

std::vector<std::string> throwaway_dirs_of(pid_t pid) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(sys::throwaway_parent(), ec)) {
    if (e.path().filename().string().rfind("certbench-", 0) != 0) continue;
    auto owner = sys::read_file(e.path() / "owner");
    if (owner && owner->rfind(std::to_string(pid) + " ", 0) == 0) out.push_back(e.path().string());
  }
  return out;
}

std::optional<int> exit_within(pid_t pid, double seconds) {
  std::optional<int> code;
  eventually([&] { return (code = sys::try_wait(pid)).has_value(); }, seconds);
  return code;
}

std::optional<pid_t> process_in(const std::string& dir) {
  for (const pid_t pid : sys::processes()) {
    std::error_code ec;
    if (fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec) == fs::path(dir)) return pid;
  }
  return std::nullopt;
}

}  // namespace certbench::testing
