#include "certbench/harness/environment.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

#include "certbench/core/errors.hpp"
#include "certbench/core/version.hpp"
#include "certbench/db/connection.hpp"

namespace certbench::harness {
namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

}  // namespace

std::string utc_now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void describe_machine(results::Environment& env) {
  env.certbench_version = std::string(version());
  env.git_commit = std::string(git_commit());
  env.git_dirty = git_dirty();
  env.cpu_model = cpu_model();
  env.cores = std::thread::hardware_concurrency();
  utsname u{};
  if (uname(&u) == 0) env.kernel = std::string(u.sysname) + " " + u.release;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) env.host = host;
}

void describe_environment(results::Environment& env, const std::string& dsn,
                          const std::optional<redis::Endpoint>& redis) {
  describe_machine(env);
  db::Connection c(dsn);
  env.postgres_version = std::string(c.exec("SHOW server_version").text(0, 0));
  std::string names;
  for (const char* s : kReportedSettings) names += std::string(names.empty() ? "" : ",") + "'" + s + "'";
  const auto r = c.exec("SELECT name, current_setting(name) FROM pg_settings WHERE name IN (" + names + ")");
  for (std::size_t i = 0; i < r.rows(); ++i) env.postgres_settings[std::string(r.text(i, 0))] = std::string(r.text(i, 1));

  if (redis) {
    try {
      redis::Client client(*redis);
      env.redis_version = client.server_version();
    } catch (const ConnectionError&) {
      env.redis_version = "unreachable";
    }
  }
}

}  // namespace certbench::harness
