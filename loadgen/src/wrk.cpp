#include "certbench/loadgen/wrk.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/sys/shutdown.hpp"

namespace certbench::loadgen {
namespace {

// wrk calls done() once, after the window, with its summary and its latency statistics (in
// microseconds). The output file is named by the environment: wrk passes its script no path.
constexpr std::string_view kDoneScript = R"lua(
done = function(summary, latency, requests)
  local f = assert(io.open(os.getenv("CERTBENCH_WRK_OUT"), "w"))
  local e = summary.errors
  f:write(string.format('{"duration_us":%d,"requests":%d,"bytes":%d,', summary.duration, summary.requests, summary.bytes))
  f:write(string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},',
                        e.connect, e.read, e.write, e.status, e.timeout))
  f:write(string.format('"latency_us":{"mean":%f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
                        latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
                        latency:percentile(99), latency:percentile(99.9)))
  f:close()
end
)lua";

}  // namespace

std::string find_wrk() {
  if (auto path = sys::find_program("wrk")) return *path;
  throw EnvironmentError("wrk is not installed (Debian package wrk: apt-get install wrk)");
}

WrkResult run_wrk(const WrkOptions& o) {
  namespace fs = std::filesystem;
  const std::string wrk = o.wrk.empty() ? find_wrk() : o.wrk;
  const fs::path dir = sys::make_unique_dir(sys::throwaway_parent(), "certbench-wrk-");
  sys::ScopedCleanup remove_dir([&dir] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  });
  const fs::path script = dir / "done.lua";
  const fs::path out = dir / "result.json";
  sys::write_file_atomic(script, o.lua + "\n" + std::string(kDoneScript));
  const unsigned threads = std::clamp(o.threads, 1u, std::max(1u, o.connections));
  std::vector<std::string> env = o.env;
  env.push_back("CERTBENCH_WRK_OUT=" + out.string());
  const auto r = sys::run_capture(
      {wrk, "--threads", std::to_string(threads), "--connections", std::to_string(o.connections), "--duration",
       std::to_string(o.duration.count()) + "s", "--timeout", std::to_string(o.timeout.count()) + "s", "--script",
       script.string(), o.url},
      env);
  std::string text;
  if (r.exit_code == 0) text = sys::read_file(out).value_or("");
  if (text.empty())
    throw EnvironmentError(fmt::format("wrk {} exited with {}: {}", o.url, r.exit_code,
                                       r.err.empty() ? "it wrote no summary" : first_line(r.err)));
  try {
    const auto j = nlohmann::json::parse(text);
    WrkResult w;
    w.seconds = j.at("duration_us").get<double>() * 1e-6;
    w.requests = j.at("requests").get<std::uint64_t>();
    w.bytes = j.at("bytes").get<std::uint64_t>();
    const auto& e = j.at("errors");
    w.connect_errors = e.at("connect").get<std::uint64_t>();
    w.read_errors = e.at("read").get<std::uint64_t>();
    w.write_errors = e.at("write").get<std::uint64_t>();
    w.non_2xx = e.at("status").get<std::uint64_t>();
    w.timeouts = e.at("timeout").get<std::uint64_t>();
    const auto& l = j.at("latency_us");
    w.mean = l.at("mean").get<double>() * 1e-6;
    w.max = l.at("max").get<double>() * 1e-6;
    w.p50 = l.at("p50").get<double>() * 1e-6;
    w.p90 = l.at("p90").get<double>() * 1e-6;
    w.p99 = l.at("p99").get<double>() * 1e-6;
    w.p999 = l.at("p999").get<double>() * 1e-6;
    return w;
  } catch (const nlohmann::json::exception& e) {
    throw EnvironmentError(fmt::format("wrk {}: its summary is not readable ({})", o.url, e.what()));
  }
}

}  // namespace certbench::loadgen
