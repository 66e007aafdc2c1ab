#pragma once
// Test support: server processes a test starts itself (a Pushgateway, Prometheus) and plain HTTP
// GETs to them (libcurl).
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace certbench::testing {

/// A process of the test's own: SIGKILLed and reaped when this goes out of scope (and when the
/// test process dies). Move-only.
class ChildProcess {
 public:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

/// Starts argv (argv[0] an absolute path) with stdout and stderr appended to `log`.
ChildProcess start_process(std::vector<std::string> argv, const std::filesystem::path& log);

/// A server on 127.0.0.1:`port` that accepts every connection and never answers (a hung host), up
/// and listening when this returns; its output goes to `log`.
ChildProcess start_silent_listener(int port, const std::filesystem::path& log);

struct HttpAnswer {
  long status = 0;    ///< HTTP status; 0 when no answer came
  std::string body;
  std::string error;  ///< libcurl's reason when status is 0
};

/// GET `url` with a 10 s timeout; never throws for network errors (they are in `error`).
HttpAnswer http_get(const std::string& url);

/// `text` percent-encoded for a URL's query string.
std::string url_encode(std::string_view text);

}  // namespace certbench::testing
