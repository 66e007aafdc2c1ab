#pragma once
// Where a saved file is recorded: on its certificate's row. Every file-save implementation records
// the same way, off the event loop (a database thread pool, each thread with a session of its
// own), so that the file save itself is the only difference between them.
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "certbench/core/file_saves.hpp"
#include "certbench/impl_common/idle_pool.hpp"

namespace certbench::impl_common {

class FileRecorder {
 public:
  /// `sessions` threads, each with its own session on the dataset in `schema`.
  FileRecorder(const std::string& dsn, std::string_view schema, unsigned sessions = 2);
  ~FileRecorder();  ///< waits for the threads
  FileRecorder(const FileRecorder&) = delete;
  FileRecorder& operator=(const FileRecorder&) = delete;

  /// UPDATE <kind>_certificates SET <recorded_column(saved)> = `path` WHERE id = `id` (image_path
  /// or file_path); false if there is no such certificate. Resumes on the awaiting coroutine's
  /// executor.
  boost::asio::awaitable<bool> record(SaveFunction saved, std::string kind, std::int64_t id, std::string path);

  /// Statements sent so far, all sessions.
  [[nodiscard]] std::uint64_t round_trips() const noexcept { return round_trips_.load(); }
  /// How the sessions were used since the last reset: held at once, waits from record() to a session.
  [[nodiscard]] PoolUsage session_usage() const;
  void reset_session_usage();

 private:
  struct Pool;
  std::unique_ptr<Pool> pool_;
  std::atomic<std::uint64_t> round_trips_{0};
};

}  // namespace certbench::impl_common
