#include "certbench/harness/profile_run.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/plans.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/sys/proc.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/sys/shutdown.hpp"

namespace certbench::harness {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string pid_list(const std::vector<pid_t>& pids) {
  std::string out;
  for (const auto p : pids) {
    if (!out.empty()) out += ',';
    out += std::to_string(p);
  }
  return out;
}

// The first line of perf's log that says what went wrong.
std::string perf_complaint(const std::string& log) {
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    line = line.substr(first);
    if (line.rfind("Events ", 0) == 0 || line.rfind("[ perf record", 0) == 0) continue;
    return line;
  }
  return "no message";
}

bool mentions(const std::string& text, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(), [&](const char* w) { return text.find(w) != std::string::npos; });
}

std::optional<int> perf_event_paranoid() {
  std::ifstream in("/proc/sys/kernel/perf_event_paranoid");
  int level = 0;
  if (in >> level) return level;
  return std::nullopt;
}

// Why perf record could not sample `what`, as one line with the fix.
[[noreturn]] void explain_failure(const std::string& log, const std::string& what) {
  if (mentions(log, {"perf_event_paranoid"})) {
    const auto level = perf_event_paranoid();
    throw EnvironmentError("perf may not sample " + what + ": kernel.perf_event_paranoid is " +
                           (level ? std::to_string(*level) : std::string("unknown")) +
                           "; run certbench as root, or allow it: sysctl -w kernel.perf_event_paranoid=1");
  }
  if (mentions(log, {"No permission", "Permission denied", "Operation not permitted", "not permitted"}))
    throw EnvironmentError("perf was not permitted to sample " + what + " (" + perf_complaint(log) +
                           "): run certbench as root, or in a container with CAP_PERFMON and a seccomp profile that "
                           "allows perf_event_open");
  if (mentions(log, {"Function not implemented", "not supported", "No such file or directory"}))
    throw EnvironmentError("perf cannot sample " + what + " here (" + perf_complaint(log) +
                           "): this kernel or container offers no perf events; profile on a host with them");
  throw EnvironmentError("perf record could not sample " + what + ": " + perf_complaint(log));
}

// One `perf record` of threads or processes, started with its events disabled and switched on and
// off through its control FIFO, so that it samples the loop and nothing before or after it.
class PerfSession {
 public:
  PerfSession(const std::string& perf, const std::vector<std::string>& target, const std::string& call_graph,
              unsigned frequency, const fs::path& data, std::string what)
      : data_(data), log_(fs::path(data).concat(".log")), what_(std::move(what)) {
    const auto ctl = fs::path(data).concat(".ctl"), ack = fs::path(data).concat(".ack");
    for (const auto& fifo : {ctl, ack})
      if (::mkfifo(fifo.c_str(), 0600) != 0)
        throw EnvironmentError("cannot make the FIFO " + fifo.string() + ": " + std::strerror(errno));
    // Read-write ends never block on open, and keep the FIFOs open whatever perf does.
    ctl_ = ::open(ctl.c_str(), O_RDWR | O_CLOEXEC);
    ack_ = ::open(ack.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (ctl_ < 0 || ack_ < 0) {
      for (int fd : {ctl_, ack_})
        if (fd >= 0) ::close(fd);
      throw EnvironmentError("cannot open perf's control FIFO " + ctl.string());
    }
    sys::SpawnOptions o;
    o.argv = {perf, "record", "-e", "cpu-clock", "-F", std::to_string(frequency), "--call-graph", call_graph,
              "--no-buildid", "-D", "-1", "--control", "fifo:" + ctl.string() + "," + ack.string(), "-o",
              data.string()};
    o.argv.insert(o.argv.end(), target.begin(), target.end());
    o.output_path = log_.string();
    o.own_process_group = true;
    o.parent_death_signal = SIGTERM;
    pid_ = sys::spawn(o);
    cleanup_ = sys::register_cleanup([pid = pid_] { ::kill(pid, SIGKILL); });
    try {
      command("enable", std::chrono::seconds(20));
    } catch (...) {
      release();  // no destructor runs for an object whose constructor threw
      throw;
    }
  }

  /// Switches sampling off and lets perf write its data.
  void stop() {
    command("disable", std::chrono::seconds(10));
    ::kill(pid_, SIGINT);
    const auto status = wait(std::chrono::seconds(60));
    if (status) pid_ = -1;  // otherwise release() ends it
    if (!status || (*status != 0 && *status != 128 + SIGINT) || !fs::exists(data_))
      explain_failure(read_text(log_), what_);
  }

  ~PerfSession() { release(); }
  PerfSession(const PerfSession&) = delete;
  PerfSession& operator=(const PerfSession&) = delete;

 private:
  // Ends perf if it still runs, and lets go of the FIFOs and the cleanup.
  void release() noexcept {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      sys::wait_for_exit(pid_);
      pid_ = -1;
    }
    if (cleanup_ >= 0) sys::unregister_cleanup(cleanup_);
    cleanup_ = -1;
    if (ctl_ >= 0) ::close(ctl_);
    if (ack_ >= 0) ::close(ack_);
    ctl_ = ack_ = -1;
  }

  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (auto status = sys::try_wait(pid_)) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }

  // Sends `word` and waits for perf's "ack": once it comes, the events are on (or off).
  void command(const std::string& word, std::chrono::milliseconds timeout) {
    const std::string line = word + "\n";
    if (::write(ctl_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      throw EnvironmentError("cannot write to perf's control FIFO: " + std::string(std::strerror(errno)));
    const auto deadline = Clock::now() + timeout;
    std::string got;
    while (Clock::now() < deadline) {
      pollfd p{ack_, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        char buf[64];
        const auto n = ::read(ack_, buf, sizeof buf);
        if (n > 0) got.append(buf, static_cast<std::size_t>(n));
        if (got.find("ack") != std::string::npos) return;
      }
      if (auto status = sys::try_wait(pid_)) {
        pid_ = -1;
        explain_failure(read_text(log_), what_);
      }
    }
    throw EnvironmentError("perf record did not answer within " +
                           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                           " s (sampling " + what_ + "); its log: " + perf_complaint(read_text(log_)));
  }

  fs::path data_, log_;
  std::string what_;
  pid_t pid_ = -1;
  int ctl_ = -1, ack_ = -1, cleanup_ = -1;
};

// perf script's text of a recording: frames with symbol and file, no source lines, no inlined
// frames (none without debug information, and looking for them is slow).
// `only` narrows a system-wide recording to some threads or processes ("--tid=…", "--pid=…").
std::string script(const std::string& perf, const fs::path& data, const std::string& only = "") {
  std::vector<std::string> argv{perf, "script", "-i", data.string(), "-F", "comm,tid,time,event,ip,sym,dso",
                                "--no-inline"};
  if (!only.empty()) argv.push_back(only);
  const auto r = sys::run_capture(argv);
  if (r.exit_code != 0) throw EnvironmentError("perf script could not read " + data.string() + ": " +
                                               perf_complaint(r.err));
  return r.out;
}

// Whether perf may sample every CPU (perf record -a): root, or perf_event_paranoid at 0 or below.
bool samples_every_cpu() {
  if (::geteuid() == 0) return true;
  const auto level = perf_event_paranoid();
  return level && *level <= 0;
}

// Before starting perf: what would stop it from sampling these processes, as one line with the fix.
void check_access(const std::vector<pid_t>& backends) {
  const auto level = perf_event_paranoid();
  if (!level)
    throw EnvironmentError("this kernel offers no perf events (no /proc/sys/kernel/perf_event_paranoid: a container "
                           "without /proc/sys, or a kernel without CONFIG_PERF_EVENTS); profile on a host with them");
  const bool root = ::geteuid() == 0;
  if (!root && *level > 2)
    throw EnvironmentError("perf may not sample as a user: kernel.perf_event_paranoid is " + std::to_string(*level) +
                           "; run certbench as root, or allow it: sysctl -w kernel.perf_event_paranoid=2");
  for (const pid_t pid : backends) {
    if (sys::process_name(pid) != "postgres")
      throw EnvironmentError("the server's backend (pid " + std::to_string(pid) +
                             ") is not a PostgreSQL process on this machine: the server side can be profiled only "
                             "on the server's host (use the embedded default, --data-dir, or a server here)");
    struct stat st {};
    if (!root && ::stat(("/proc/" + std::to_string(pid)).c_str(), &st) == 0 && st.st_uid != ::geteuid())
      throw EnvironmentError("the PostgreSQL backend (pid " + std::to_string(pid) + ") runs as user id " +
                             std::to_string(st.st_uid) +
                             ", not as you: perf may not attach to it; run certbench as root (or as that user)");
  }
}

}  // namespace

void check_profile_access(const std::string& dsn) {
  db::Connection session(dsn);
  check_access({static_cast<pid_t>(session.exec("SELECT pg_backend_pid()").int64(0, 0))});
}

namespace {

struct Window {
  std::uint64_t calls = 0;
  double seconds = 0;
};

Window loop(ListingFunctions& listings, const ProfileSpec& spec, std::int64_t user, std::chrono::milliseconds duration,
            const std::function<void(double)>& tick) {
  Window w;
  const auto start = Clock::now();
  auto last_tick = start;
  for (auto now = start; now - start < duration && !sys::shutdown_requested(); now = Clock::now()) {
    listings.list(spec.listing, user, spec.page);
    ++w.calls;
    if (tick && now - last_tick > std::chrono::milliseconds(200)) {
      tick(std::chrono::duration<double>(duration - (now - start)).count());
      last_tick = now;
    }
  }
  w.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return w;
}

// "Execution Time: 0.123 ms" -> 0.123. Planning is left out: EXPLAIN plans the statement afresh,
// where the profiled loop runs statements prepared and (the best listings) planned once.
double plan_ms(const std::string& plan) {
  constexpr std::string_view key = "Execution Time: ";
  const auto at = plan.find(key);
  return at == std::string::npos ? 0 : std::strtod(plan.c_str() + at + key.size(), nullptr);
}

std::vector<ExplainedStatement> explain_one_call(ListingSession& session, const ProfileSpec& spec, std::int64_t user) {
  std::vector<ExplainedStatement> out;
  for (const auto& statement : statements_of_one_call(session, spec.listing, user, spec.page)) {
    ExplainedStatement explained{statement.sql, statement.executions.front(), statement.executions.size(), 0, ""};
    for (const auto& params : statement.executions) {
      const auto r = session.db->exec_params("EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, params);
      std::string plan;
      for (std::size_t i = 0; i < r.rows(); ++i) plan += std::string(r.text(i, 0)) + "\n";
      if (explained.plan.empty()) explained.plan = plan;
      explained.server_ms += plan_ms(plan);
    }
    out.push_back(std::move(explained));
  }
  return out;
}

pid_t this_thread_id() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

ProfileSide profile_one(const ProfileSpec& spec, const std::string& perf, const std::string& impl, std::int64_t user,
                        const std::function<void(std::string_view, double)>& progress) {
  auto say = [&](const std::string& what, double left) {
    if (progress) progress(impl + ": " + what, left);
  };
  ProfileSide side;
  side.impl = impl;
  side.user = spec.listing == Listing::user_certificates ? user : 0;
  side.client_tid = this_thread_id();
  // Every session the implementation opens carries this name, so its backends can be found.
  const std::string application = "certbench-profile-" + std::to_string(::getpid()) + "-" + impl;
  const auto named = db::with_settings(spec.dsn, {{"application_name", application}}, db::Setting::always);
  auto session = open_listing_session(named, spec.schema, impl);
  say("warming up", 0);
  session.listings->list(spec.listing, side.user, spec.page);  // statements prepared, caches filled, sessions open
  {
    db::Connection monitor(spec.dsn);
    // The session's own backend first, then the implementation's other sessions (parallel, cached).
    side.backends.push_back(static_cast<pid_t>(session.db->exec("SELECT pg_backend_pid()").int64(0, 0)));
    const auto r = monitor.exec_params("SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid",
                                       {application});
    for (std::size_t i = 0; i < r.rows(); ++i)
      if (const auto pid = static_cast<pid_t>(r.int64(i, 0)); pid != side.backends.front()) side.backends.push_back(pid);
  }
  check_access(side.backends);

  const auto reference = std::min(spec.reference, spec.duration);
  say("calls without perf", std::chrono::duration<double>(reference).count());
  const auto ref = loop(*session.listings, spec, side.user, reference,
                        [&](double left) { say("calls without perf", left); });
  side.reference_calls = ref.calls;
  side.reference_seconds = ref.seconds;

  const std::string client_what = "certbench's thread " + std::to_string(side.client_tid);
  const std::string server_what = "the PostgreSQL backend" + std::string(side.backends.size() > 1 ? "s " : " ") +
                                  pid_list(side.backends);
  // Sampling every CPU costs the sampled processes far less than following two of them: a task's
  // own sampling timer is stopped and restarted at every switch, and a client and its backend
  // switch at every call (docs/profiling.md). It needs root (or perf_event_paranoid <= 0); then
  // one recording with DWARF stacks (the backend has no frame pointers) is split by thread. Root
  // without CAP_PERFMON (a container) may not: then each side is followed on its own.
  const auto machine_data = spec.work_dir / (impl + ".perf.data");
  const auto client_data = spec.work_dir / (impl + ".client.perf.data");
  const auto server_data = spec.work_dir / (impl + ".server.perf.data");
  auto forget = [](const fs::path& data, bool keep_data) {  // perf's FIFOs and log, and its data unless kept
    if (!keep_data) fs::remove(data);
    for (const char* suffix : {".log", ".ctl", ".ack"}) fs::remove(fs::path(data).concat(suffix));
  };
  bool whole_machine = samples_every_cpu();
  {
    say("starting perf", 0);
    std::optional<PerfSession> both, client, server;
    if (whole_machine) {
      try {
        both.emplace(perf, std::vector<std::string>{"-a"}, "dwarf", spec.frequency, machine_data,
                     client_what + " and " + server_what);
      } catch (const EnvironmentError&) {
        whole_machine = false;
        forget(machine_data, false);
      }
    }
    if (!whole_machine) {
      client.emplace(perf, std::vector<std::string>{"-t", std::to_string(side.client_tid)}, "fp", spec.frequency,
                     client_data, client_what);
      server.emplace(perf, std::vector<std::string>{"-p", pid_list(side.backends)}, "dwarf", spec.frequency,
                     server_data, server_what);
    }
    const auto w = loop(*session.listings, spec, side.user, spec.duration,
                        [&](double left) { say("profiling", left); });
    side.calls = w.calls;
    side.seconds = w.seconds;
    say("stopping perf", 0);
    for (auto* recording : {&both, &server, &client})
      if (*recording) (*recording)->stop();
  }
  if (sys::shutdown_requested()) throw EnvironmentError("interrupted");
  say("EXPLAIN (ANALYZE, BUFFERS)", 0);
  side.statements = explain_one_call(session, spec, side.user);
  say("perf script (certbench)", 0);
  side.client_script = whole_machine ? script(perf, machine_data, "--tid=" + std::to_string(side.client_tid))
                                     : script(perf, client_data);
  say("perf script (PostgreSQL)", 0);
  side.server_script = whole_machine ? script(perf, machine_data, "--pid=" + pid_list(side.backends))
                                     : script(perf, server_data);
  const auto recordings =
      whole_machine ? std::vector<fs::path>{machine_data} : std::vector<fs::path>{client_data, server_data};
  for (const auto& data : recordings) {
    if (spec.keep_perf_data) side.recordings.push_back(data);
    forget(data, spec.keep_perf_data);
  }
  return side;
}

}  // namespace

std::string find_perf() {
  std::string perf;
  if (const char* named = std::getenv("CERTBENCH_PERF"); named != nullptr && *named != '\0') {
    perf = named;
    if (::access(perf.c_str(), X_OK) != 0)
      throw EnvironmentError("perf is not installed: CERTBENCH_PERF names " + perf +
                             ", which is not an executable program (unset it to use perf on $PATH, or install Debian's "
                             "linux-perf: apt-get install linux-perf)");
  } else if (auto found = sys::find_program("perf")) {
    perf = *found;
  } else {
    throw EnvironmentError("perf is not installed: install Debian's linux-perf (apt-get install linux-perf), or name "
                           "the program with CERTBENCH_PERF=/path/to/perf");
  }
  const auto r = sys::run_capture({perf, "--version"});
  if (r.exit_code != 0)
    throw EnvironmentError("perf does not run here (" + perf_complaint(r.err + r.out) +
                           "): install the linux-perf that matches this kernel (uname -r)");
  return perf;
}

std::vector<ProfileSpec> headline_profiles(const std::string& dsn, const std::string& schema, double seconds) {
  std::vector<ProfileSpec> out;
  for (Listing listing : {Listing::public_certificates, Listing::all_certificates_with_users}) {
    ProfileSpec spec;
    spec.dsn = dsn;
    spec.schema = schema;
    spec.listing = listing;
    spec.impls = {"naive", "limited"};
    spec.duration = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
    spec.reference = spec.duration;
    out.push_back(std::move(spec));
  }
  return out;
}

std::vector<ProfileSide> run_profile(const ProfileSpec& spec,
                                     const std::function<void(std::string_view, double)>& progress) {
  const auto names = listing_implementations();
  for (const auto& impl : spec.impls)
    if (std::find(names.begin(), names.end(), impl) == names.end())
      throw UsageError("the implementation must be naive, review, limited, pipelined, parallel or cached (got '" +
                           impl + "')",
                       "impl");
  const std::string perf = spec.perf.empty() ? find_perf() : spec.perf;
  std::int64_t user = spec.user;
  if (spec.listing == Listing::user_certificates && user < 0) user = impl_common::busiest_owner(spec.dsn, spec.schema);
  std::vector<ProfileSide> out;
  for (const auto& impl : spec.impls) out.push_back(profile_one(spec, perf, impl, user, progress));
  return out;
}

}  // namespace certbench::harness
