#include "certbench/redis/embedded_redis.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/net.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/sys/shutdown.hpp"

namespace certbench::redis {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kPrefix = "certbench-redis-";

fs::path server_binary() {
  for (const char* p : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"})
    if (access(p, X_OK) == 0) return p;
  throw EnvironmentError("redis-server not found (Debian package redis-server; scripts/certbench installs it)");
}

// Directories left by runs that were killed outright (their server got the parent-death signal).
void clean_stale(const fs::path& parent) {
  for (const auto& dir : sys::stale_throwaway_dirs(parent, kPrefix)) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
}

}  // namespace

struct EmbeddedRedis::State {
  std::mutex mutex;
  Endpoint endpoint;
  pid_t pid = 0;
  fs::path dir;
  bool stopped = false;
  int cleanup_handle = -1;

  void stop() noexcept {
    std::lock_guard lock(mutex);
    if (stopped) return;
    stopped = true;
    if (pid > 0 && !sys::signal_and_wait(pid, SIGTERM, 10s)) sys::signal_and_wait(pid, SIGKILL, 5s);
    if (pid > 0) (void)sys::try_wait(pid);
    std::error_code ec;
    if (!dir.empty()) fs::remove_all(dir, ec);
  }
};

EmbeddedRedis::EmbeddedRedis(std::shared_ptr<State> state) : state_(std::move(state)) {}
EmbeddedRedis::~EmbeddedRedis() { stop(); }
EmbeddedRedis::EmbeddedRedis(EmbeddedRedis&&) noexcept = default;
EmbeddedRedis& EmbeddedRedis::operator=(EmbeddedRedis&& other) noexcept {
  if (this != &other) {
    stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

void EmbeddedRedis::stop() noexcept {
  if (!state_) return;
  if (state_->cleanup_handle >= 0) sys::unregister_cleanup(state_->cleanup_handle);
  state_->cleanup_handle = -1;
  state_->stop();
}

const Endpoint& EmbeddedRedis::endpoint() const noexcept { return state_->endpoint; }
pid_t EmbeddedRedis::pid() const noexcept { return state_->pid; }

EmbeddedRedis EmbeddedRedis::start() {
  const auto binary = server_binary();
  const auto parent = sys::throwaway_parent();
  clean_stale(parent);
  auto state = std::make_shared<State>();
  state->dir = sys::make_unique_dir(parent, kPrefix);
  EmbeddedRedis server(state);  // from here on, failures stop it and remove the directory
  sys::write_file_atomic(state->dir / "owner", sys::owner_line());
  state->cleanup_handle = sys::register_cleanup([state] { state->stop(); });
  const auto log = state->dir / "redis.log";
  for (int attempt = 1;; ++attempt) {
    const int port = sys::free_loopback_port();
    sys::SpawnOptions o;
    // A cache: nothing persisted, no snapshots, loopback only.
    o.argv = {binary.string(), "--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "",
              "--appendonly", "no", "--dir", state->dir.string(), "--daemonize", "no", "--logfile", ""};
    o.output_path = log.string();
    o.own_process_group = true;        // Ctrl-C reaches certbench, which stops it
    o.parent_death_signal = SIGTERM;   // certbench killed outright: the server goes too
    {
      std::lock_guard lock(state->mutex);
      if (state->stopped) throw EnvironmentError("interrupted while starting Redis");
      state->pid = sys::spawn(o);
      state->endpoint = Endpoint{"127.0.0.1", port, "", 0};
    }
    Client probe(state->endpoint, ClientOptions{std::chrono::milliseconds(200)});
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (true) {  // left only by a bind failure, to try another port
      if (auto exit = sys::try_wait(state->pid)) {
        const auto why = sys::tail_of_file(log, 3);
        if (attempt < 5 && why.find("Address already in use") != std::string::npos) break;
        {
          std::lock_guard lock(state->mutex);
          state->pid = 0;
        }
        throw EnvironmentError(fmt::format("Redis did not start (exit {}): {}", *exit, why));
      }
      if (probe.ping()) return server;
      if (std::chrono::steady_clock::now() > deadline)
        throw EnvironmentError("Redis did not answer within 30 s (log: " + log.string() + ")");
      std::this_thread::sleep_for(5ms);
    }
  }
}

}  // namespace certbench::redis
