#include "certbench/db/embedded_postgres.hpp"

#include <algorithm>
#include <functional>
#include <csignal>
#include <cstdlib>
#include <fmt/format.h>
#include <mutex>
#include <sstream>
#include <thread>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/net.hpp"
#include "certbench/sys/proc.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/sys/shutdown.hpp"
#include "certbench/sys/users.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace certbench::db {
namespace {

constexpr std::string_view kThrowawayPrefix = "certbench-pg-";
constexpr std::string_view kSettingsFile = "certbench.conf";
constexpr std::string_view kSuperuser = "certbench";

// The settings of every embedded cluster; docs/embedded-postgres.md explains each choice.
constexpr std::string_view kSettings = R"(# Written by certbench: settings of its embedded benchmark cluster.
# See docs/embedded-postgres.md in the certbench repository for why each is set.
listen_addresses = '127.0.0.1'
unix_socket_permissions = 0700
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = 'top'
pg_stat_statements.track_planning = on
pg_stat_statements.max = 10000
shared_buffers = '2GB'
max_connections = 400
maintenance_work_mem = '512MB'
wal_level = minimal
max_wal_senders = 0
max_wal_size = '8GB'
checkpoint_timeout = '30min'
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
track_io_timing = on
logging_collector = off
log_min_messages = warning
log_checkpoints = off
)";

fs::path bindir() {
  if (const char* env = std::getenv("CERTBENCH_PG_BINDIR"); env != nullptr && *env != '\0')
    return env;
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(entry.path() / "bin" / "postgres") && fs::exists(entry.path() / "bin" / "initdb"))
      candidates.push_back(entry.path() / "bin");
  if (candidates.empty())
    throw EnvironmentError(
        "PostgreSQL server binaries not found under /usr/lib/postgresql (install the Debian "
        "package postgresql-15, or run certbench through scripts/certbench, which does)");
  // Highest major version: directory names are numbers.
  std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
    return std::stoi(a.parent_path().filename().string()) <
           std::stoi(b.parent_path().filename().string());
  });
  return candidates.back();
}

std::string make_dsn(int port) {
  return fmt::format("postgresql://{}@127.0.0.1:{}/postgres?sslmode=disable&application_name=certbench",
                     kSuperuser, port);
}

struct PidFile {
  pid_t pid = 0;
  int port = 0;
  bool ready = false;
};

// postmaster.pid: line 1 pid, 4 port, 8 status ("ready" once it accepts connections).
std::optional<PidFile> read_pid_file(const fs::path& data_dir) {
  auto text = sys::read_file(data_dir / "postmaster.pid");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  if (lines.size() < 4) return std::nullopt;
  PidFile p;
  try {
    p.pid = static_cast<pid_t>(std::stol(lines[0]));
    p.port = std::stoi(lines[3]);
  } catch (...) {
    return std::nullopt;
  }
  p.ready = lines.size() >= 8 && lines[7].find("ready") != std::string::npos;
  return p;
}

// The pid in a postmaster.pid may be stale and reused by any process — even another PostgreSQL:
// only a postgres whose working directory is this data directory is its postmaster.
bool is_our_postmaster(pid_t pid, const fs::path& data_dir) {
  if (!sys::process_alive(pid) || sys::process_name(pid).rfind("postgres", 0) != 0) return false;
  std::error_code ec;
  const auto cwd = fs::read_symlink("/proc/" + std::to_string(pid) + "/cwd", ec);
  return !ec && cwd == fs::weakly_canonical(data_dir, ec);
}

void stop_postmaster(pid_t pid) noexcept {
  // Frozen backends (SIGSTOP: each leads a session of its own) would hold the postmaster's
  // shutdown: continued first. Fast shutdown (SIGINT) rolls back open transactions and exits;
  // SIGQUIT if it hangs.
  try {
    for (pid_t child : sys::children_of(pid)) ::kill(child, SIGCONT);
  } catch (...) {  // nothing to continue
  }
  if (sys::signal_and_wait(pid, SIGINT, 60s)) return;
  if (sys::signal_and_wait(pid, SIGQUIT, 10s)) return;
  sys::signal_and_wait(pid, SIGKILL, 5s);
}

void run_initdb(const fs::path& data_dir, const fs::path& log,
                const std::optional<sys::UserIdentity>& run_as) {
  sys::SpawnOptions o;
  o.argv = {(bindir() / "initdb").string(), "-D", data_dir.string(), "-U", std::string(kSuperuser),
            "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"};
  o.run_as = run_as;
  o.output_path = log.string();
  int code = sys::wait_for_exit(sys::spawn(o));
  if (code != 0)
    throw EnvironmentError(fmt::format("initdb failed (exit {}): {} (log: {})", code,
                                       sys::tail_of_file(log, 2), log.string()));
  sys::write_file_atomic(data_dir / kSettingsFile, kSettings);
  auto conf = sys::read_file(data_dir / "postgresql.conf").value_or("");
  sys::write_file_atomic(data_dir / "postgresql.conf",
                         conf + "\ninclude '" + std::string(kSettingsFile) + "'\n");
  sys::give_tree_to(data_dir, run_as);
}

enum class Lifetime { throwaway, persistent };

struct Started {
  pid_t pid;
  int port;
};

// Starts postgres on a free port and waits until it accepts connections. Retries with another
// port if one was taken between our probe and the server's bind.
// `spawned` learns the server's pid at once, so a shutdown signal during start-up can stop it.
Started start_server(const fs::path& data_dir, const fs::path& socket_dir, const fs::path& log,
                     const std::optional<sys::UserIdentity>& run_as, Lifetime lifetime,
                     const std::function<void(pid_t)>& spawned = {}) {
  for (int attempt = 1;; ++attempt) {
    int port = sys::free_loopback_port();
    sys::SpawnOptions o;
    o.argv = {(bindir() / "postgres").string(), "-D", data_dir.string(), "-p", std::to_string(port)};
    // A Unix socket path is limited to 107 bytes; without room for one, TCP only.
    bool socket_fits = socket_dir.string().size() + 20 < 100;
    o.argv.insert(o.argv.end(), {"-c", "unix_socket_directories=" +
                                           (socket_fits ? socket_dir.string() : std::string())});
    o.run_as = run_as;
    o.output_path = log.string();
    if (lifetime == Lifetime::throwaway) {
      o.own_process_group = true;     // a terminal's Ctrl-C reaches certbench, which stops it
      o.parent_death_signal = SIGQUIT;  // certbench killed outright: the server goes too
    } else {
      o.new_session = true;  // outlives this process
    }
    pid_t pid = sys::spawn(o);
    if (spawned) spawned(pid);
    auto deadline = std::chrono::steady_clock::now() + 120s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto exit = sys::try_wait(pid)) {
        std::string why = sys::tail_of_file(log, 3);
        if (attempt < 5 && why.find("could not bind") != std::string::npos) break;  // retry
        throw EnvironmentError(fmt::format("PostgreSQL did not start (exit {}): {} (log: {})",
                                           *exit, why, log.string()));
      }
      if (auto p = read_pid_file(data_dir); p && p->pid == pid && p->ready) return {pid, port};
      std::this_thread::sleep_for(10ms);
    }
    if (sys::process_alive(pid) && std::chrono::steady_clock::now() >= deadline) {
      stop_postmaster(pid);
      throw EnvironmentError("PostgreSQL did not become ready within 120 s (log: " +
                             log.string() + ")");
    }
  }
}

void create_extensions(const std::string& dsn) {
  // Our own cluster: pg_stat_statements lets later runs cross-check round trips server-side.
  Connection c(dsn);
  c.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
}

}  // namespace

// ---- state ----------------------------------------------------------------------------------

struct EmbeddedPostgres::State {
  std::mutex mutex;
  ClusterInfo info;
  Lifetime lifetime = Lifetime::throwaway;
  fs::path top_dir;  // throwaway: the whole /tmp/certbench-pg-XXXXXX
  bool stopped = false;
  int cleanup_handle = 0;

  void stop() noexcept {
    std::lock_guard lock(mutex);
    if (stopped || lifetime != Lifetime::throwaway) return;
    stopped = true;
    if (info.postmaster_pid > 0) stop_postmaster(info.postmaster_pid);
    std::error_code ec;
    fs::remove_all(top_dir, ec);
  }
};

EmbeddedPostgres::EmbeddedPostgres(std::shared_ptr<State> state) : state_(std::move(state)) {}
EmbeddedPostgres::EmbeddedPostgres(EmbeddedPostgres&&) noexcept = default;
EmbeddedPostgres& EmbeddedPostgres::operator=(EmbeddedPostgres&& other) noexcept {
  if (this != &other) {
    stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

EmbeddedPostgres::~EmbeddedPostgres() { stop(); }

const ClusterInfo& EmbeddedPostgres::info() const noexcept { return state_->info; }
bool EmbeddedPostgres::throwaway() const noexcept { return state_->lifetime == Lifetime::throwaway; }

void EmbeddedPostgres::stop() noexcept {
  if (!state_) return;
  state_->stop();  // first stop, then unregister: a signal arriving meanwhile waits for us
  if (state_->cleanup_handle != 0) {
    sys::unregister_cleanup(state_->cleanup_handle);
    state_->cleanup_handle = 0;
  }
}

// ---- throwaway ------------------------------------------------------------------------------

fs::path EmbeddedPostgres::throwaway_parent() { return sys::throwaway_parent(); }

int EmbeddedPostgres::clean_stale_clusters() {
  int cleaned = 0;
  const auto run_as = sys::postgres_run_as();
  for (const auto& dir : sys::stale_throwaway_dirs(throwaway_parent(), kThrowawayPrefix,
                                                   run_as ? std::optional(run_as->uid) : std::nullopt)) {
    const fs::path data = dir / "data";
    if (auto p = read_pid_file(data); p && is_our_postmaster(p->pid, data)) {
      sys::signal_and_wait(p->pid, SIGQUIT, 10s);
      if (is_our_postmaster(p->pid, data)) sys::signal_and_wait(p->pid, SIGKILL, 5s);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (!ec && !fs::exists(dir, ec) && !ec) ++cleaned;
  }
  return cleaned;
}

EmbeddedPostgres EmbeddedPostgres::start_throwaway(const std::function<void(std::string_view)>& note) {
  if (const int cleaned = clean_stale_clusters(); cleaned > 0 && note)
    note(fmt::format("removed {} embedded cluster(s) left behind by killed runs", cleaned));
  auto run_as = sys::postgres_run_as();
  auto state = std::make_shared<State>();
  state->lifetime = Lifetime::throwaway;
  state->top_dir = sys::make_unique_dir(throwaway_parent(), kThrowawayPrefix);
  EmbeddedPostgres cluster(state);  // from here on, failures remove the directory
  sys::write_file_atomic(state->top_dir / "owner", sys::owner_line());
  sys::give_tree_to(state->top_dir, run_as);
  state->cleanup_handle = sys::register_cleanup([state] { state->stop(); });

  const fs::path data = state->top_dir / "data";
  const fs::path log = state->top_dir / "postgres.log";
  run_initdb(data, log, run_as);
  auto started = start_server(data, state->top_dir, log, run_as, Lifetime::throwaway, [&](pid_t pid) {
    std::lock_guard lock(state->mutex);
    if (state->stopped) {  // a signal came first: it cleaned up, this server is ours to stop
      stop_postmaster(pid);
      throw EnvironmentError("interrupted while starting PostgreSQL");
    }
    state->info.postmaster_pid = pid;
  });
  {
    std::lock_guard lock(state->mutex);
    state->info = {data, started.port, started.pid, make_dsn(started.port)};
  }
  create_extensions(state->info.dsn);
  return cluster;
}

// ---- persistent -----------------------------------------------------------------------------

fs::path EmbeddedPostgres::default_data_dir() {
  if (const char* env = std::getenv("CERTBENCH_DATA_DIR"); env != nullptr && *env != '\0')
    return env;
  return fs::path("/var/tmp") / fmt::format("certbench-{}", getuid()) / "pgdata";
}

std::optional<ClusterInfo> EmbeddedPostgres::status(const fs::path& data_dir_in) {
  const fs::path data_dir = fs::absolute(data_dir_in);
  auto p = read_pid_file(data_dir);
  if (!p || !p->ready || !is_our_postmaster(p->pid, data_dir)) return std::nullopt;
  return ClusterInfo{data_dir, p->port, p->pid, make_dsn(p->port)};
}

EmbeddedPostgres EmbeddedPostgres::up(const fs::path& data_dir_in) {
  const fs::path data_dir = fs::absolute(data_dir_in);
  auto state = std::make_shared<State>();
  state->lifetime = Lifetime::persistent;
  if (auto running = status(data_dir)) {
    state->info = *running;
    return EmbeddedPostgres(state);
  }
  auto run_as = sys::postgres_run_as();
  if (run_as) sys::require_traversable(data_dir, *run_as);
  std::error_code ec;
  bool fresh = !fs::exists(data_dir) || fs::is_empty(data_dir, ec);
  if (!fresh) {
    if (!fs::exists(data_dir / "PG_VERSION"))
      throw InputError(data_dir.string() +
                       " is not empty and is not a certbench data directory; name another data directory",
                       "data_dir");
    if (!fs::exists(data_dir / kSettingsFile))
      throw InputError(data_dir.string() +
                       " is a PostgreSQL data directory that certbench did not create; refusing "
                       "to touch it");
  }
  const fs::path log = data_dir / "certbench-postgres.log";
  if (fresh) {
    fs::create_directories(data_dir.parent_path());
    fs::create_directories(data_dir);
    fs::permissions(data_dir, fs::perms::owner_all, fs::perm_options::replace);
    sys::give_tree_to(data_dir, run_as);
    // initdb logs beside the data directory (it refuses a non-empty one), then we move it in.
    const fs::path init_log = data_dir.parent_path() / (data_dir.filename().string() + ".initdb.log");
    run_initdb(data_dir, init_log, run_as);
    fs::remove(init_log, ec);
  } else if (auto stale = read_pid_file(data_dir); stale && !is_our_postmaster(stale->pid, data_dir)) {
    fs::remove(data_dir / "postmaster.pid", ec);  // left by a crash; postgres would refuse
  }
  auto started = start_server(data_dir, data_dir, log, run_as, Lifetime::persistent);
  state->info = {data_dir, started.port, started.pid, make_dsn(started.port)};
  if (fresh) create_extensions(state->info.dsn);
  return EmbeddedPostgres(state);
}

bool EmbeddedPostgres::down(const fs::path& data_dir_in) {
  auto running = status(data_dir_in);
  if (!running) return false;
  stop_postmaster(running->postmaster_pid);
  return true;
}

}  // namespace certbench::db
