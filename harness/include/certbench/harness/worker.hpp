#pragma once
// certbench's worker: the listing functions of one build behind a line protocol on its stdin and
// stdout, so that `certbench run --compare-binary OLD` measures two builds — OLD's worker and its
// own (/proc/self/exe), through exactly the same process and pipe path — in interleaved rounds on
// one dataset (compare_run.hpp). Both sides of the protocol live here.
//
// The protocol (version kWorkerProtocol), one request line, one answer line:
//   hello <protocol>                          -> certbench-worker <protocol> <certbench --version's text>
//                                                (error … when the worker does not speak <protocol>)
//   open <schema> <dsn, to the end of line>   -> ok
//   list <listing> <impl> <user> <page> <size> <count>
//                                             -> ok <mean seconds per call> <rows of the last call>
//   quit                                      -> bye (and the worker exits 0); so does the end of stdin
//   anything wrong                            -> error <exit code> <one line>   (the worker goes on)
// <listing> is the review's name (get_public_certificates, …); the worker keeps one session per
// <impl> (harness::open_listing_session, opened at its first use) and makes one untimed call the
// first time it serves a (listing, impl, user, page, size), then times the <count> calls with
// steady_clock around them, as the harness times a batch. The DSN travels on stdin, not argv, so
// that a password never shows in the process list.
//
// Thread safety: a WorkerClient is used by one thread at a time; serve_worker owns its streams.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>

#include "certbench/core/listing.hpp"

namespace certbench::sys {
class LineProcess;
}

namespace certbench::harness {

inline constexpr int kWorkerProtocol = 1;

/// The worker's side: answers requests from `in` on `out` until `quit` or the end of `in`;
/// returns the exit code (0). Errors of a request are answered, never thrown.
int serve_worker(std::istream& in, std::ostream& out);

/// A build that answered hello: where it is and what it says it is.
struct WorkerBuild {
  std::string binary;   ///< the path as given
  std::string version;  ///< its `certbench --version` text, e.g. "certbench 0.1.0"
};

/// What one `list` request measured.
struct WorkerTiming {
  double seconds_per_call = 0;
  std::uint64_t rows = 0;  ///< rows of the last call's page
};

/// A worker process of the certbench binary at `binary`, started and greeted. Throws InputError
/// ("BINARY has no compatible worker (…)") when it does not answer hello as a worker of this
/// protocol within `hello_timeout` — an old certbench without the worker, another program, one
/// that hangs. Requests that fail later throw the certbench Error the worker names (a database
/// error is exit 3), or EnvironmentError when the worker ends or stops answering.
class WorkerClient {
 public:
  explicit WorkerClient(const std::string& binary,
                        std::chrono::milliseconds hello_timeout = std::chrono::milliseconds(10'000));
  ~WorkerClient();
  WorkerClient(const WorkerClient&) = delete;
  WorkerClient& operator=(const WorkerClient&) = delete;

  [[nodiscard]] const WorkerBuild& build() const noexcept { return build_; }
  /// Opens the dataset in `schema` on the server at `dsn` (sessions open at their first use).
  void open(const std::string& dsn, const std::string& schema);
  /// `count` calls of `listing` from implementation `impl`.
  WorkerTiming list(Listing listing, const std::string& impl, std::int64_t user, const PageRequest& page,
                    std::size_t count);
  /// Says quit and waits for the worker to end (the destructor does it too).
  void quit();

 private:
  std::string ask(const std::string& request, std::chrono::milliseconds timeout);
  [[noreturn]] void ended(const std::string& request);
  WorkerBuild build_;
  std::unique_ptr<sys::LineProcess> process_;
};

}  // namespace certbench::harness
