// Connection::exec_pipeline: prepared calls in one libpq pipeline, and leaving pipeline mode.
#include <stdexcept>
#include <utility>
#include <vector>

#include "certbench/core/errors.hpp"
#include "connection_parts.hpp"

namespace certbench::db {

namespace {

// Pipeline mode on one session for one exec_pipeline. The contract: once the session entered
// pipeline mode, every way out of exec_pipeline — every result read, a failed send, a failed
// Sync, a failed result, an exception — passes through leave(), which takes the session out of
// pipeline mode; where that cannot be done, exec_pipeline throws ConnectionError saying so, so a
// session is never left in pipeline mode silently: serve's pools drop a session that threw
// ConnectionError (impl_common::IdlePool::Lease::discard); a run stops on it.
// libpq's rules (15): PQexitPipelineMode fails unless the pipeline is idle — each statement's
// results read up to the null that ends them, and the Sync's PGRES_PIPELINE_SYNC read (no null
// follows it). The server answers a pipeline, and after an error resumes, only at a Sync: so
// statements sent with no Sync after them (PQpipelineSync failed) cannot be drained, nor can a
// broken connection; then leave() fails.
class PipelineMode {
 public:
  explicit PipelineMode(PGconn* raw) noexcept : raw_(raw) {}
  PipelineMode(const PipelineMode&) = delete;
  PipelineMode& operator=(const PipelineMode&) = delete;

  /// A statement went out (PQsendQueryPrepared succeeded).
  void sent() noexcept { ++sent_; }
  [[nodiscard]] std::size_t sent_count() const noexcept { return sent_; }
  /// Sends the Sync; false if libpq could not. Called once.
  bool sync() noexcept {
    sync_tried_ = true;
    synced_ = PQpipelineSync(raw_) == 1;
    return synced_;
  }
  [[nodiscard]] bool synced() const noexcept { return synced_; }
  /// The next statement's results were read up to their null.
  void answered() noexcept { ++answered_; }

  /// Sends the Sync if it was never tried, reads and frees what is left unread, and leaves
  /// pipeline mode. True if the session is out of it; false if not (PQerrorMessage says why).
  bool leave() noexcept {
    if (!sync_tried_ && sent_ > answered_) (void)sync();
    if (synced_) {
      for (; answered_ < sent_; ++answered_) {
        if (PQstatus(raw_) == CONNECTION_BAD) return false;
        while (PGresult* r = PQgetResult(raw_)) PQclear(r);
      }
      while (!sync_read_) {
        if (PQstatus(raw_) == CONNECTION_BAD) return false;
        PGresult* r = PQgetResult(raw_);
        if (r == nullptr) return false;
        sync_read_ = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
      }
    }
    return PQexitPipelineMode(raw_) == 1;
  }

 private:
  PGconn* raw_;
  std::size_t sent_ = 0;
  std::size_t answered_ = 0;
  bool sync_tried_ = false;
  bool synced_ = false;
  bool sync_read_ = false;
};

// The error when the session could not leave pipeline mode: ConnectionError, the session being
// unusable now; it names the first failure too, if there was one.
std::exception_ptr left_in_pipeline_mode(PGconn* raw, const std::string& server, const std::exception_ptr& first) {
  std::string message = "PostgreSQL at " + server + ": the session cannot leave pipeline mode and is unusable: " +
                        first_line(PQerrorMessage(raw));
  if (first) {
    try {
      std::rethrow_exception(first);
    } catch (const std::exception& e) {
      message += " (after: " + first_line(e.what()) + ")";
    } catch (...) {
    }
  }
  return std::make_exception_ptr(ConnectionError(message));
}

}  // namespace

// Pipeline mode (libpq 14+): the statements go out together, followed by one Sync; the server runs
// them in order and answers all of them; the client waits once.
std::vector<Result> Connection::exec_pipeline(std::span<const PreparedCall> calls) {
  const detail::StatementCpu cpu;
  if (calls.empty()) return {};
  // Every statement must stay prepared until it is sent: more than the limit would evict its own.
  if (calls.size() > prepared_limit_)
    throw std::invalid_argument("Connection::exec_pipeline: more statements than the session keeps prepared");
  std::vector<std::string> names;  // as the server knows them
  names.reserve(calls.size());
  for (const auto& c : calls) names.push_back(prepare_once(c.name, c.sql, c.params.size(), stats_));
  detail::PendingResults pending(calls.size());
  std::exception_ptr error;  // the first failure
  PGconn* raw = impl_->raw.handle;
  if (PQenterPipelineMode(raw) != 1)
    throw QueryError("PostgreSQL at " + server() + ": cannot enter pipeline mode: " + first_line(PQerrorMessage(raw)), "");
  PipelineMode pipeline(raw);
  try {
    if (captured_ != nullptr)
      for (const auto& c : calls) captured_->push_back({c.sql, c.params});
    for (const auto& c : calls) {
      const auto values = detail::raw_params(c.params);
      const auto i = pipeline.sent_count();
      if (PQsendQueryPrepared(raw, names[i].c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0) != 1) {
        error = detail::failure_of(raw, nullptr, server());
        break;
      }
      pipeline.sent();
    }
    // The Sync ends the implicit transaction and tells the server to answer; even after a failed
    // send it lets the statements already queued finish, so the session leaves pipeline mode clean.
    if (!pipeline.sync() && !error) error = detail::failure_of(raw, nullptr, server());
    // Each statement's results end with a null (leave() reads the Sync's result after them). A
    // statement after a failed one is answered PGRES_PIPELINE_ABORTED.
    if (pipeline.synced())
      for (std::size_t i = 0; i < pipeline.sent_count(); ++i) {
        while (PGresult* r = PQgetResult(raw)) pending.take(i, r, error, raw, *this);
        pipeline.answered();
        if (PQstatus(raw) == CONNECTION_BAD) break;
      }
  } catch (...) {
    if (!pipeline.leave()) std::rethrow_exception(left_in_pipeline_mode(raw, server(), std::current_exception()));
    throw;
  }
  ++stats_.round_trips;
  if (!pipeline.leave()) error = left_in_pipeline_mode(raw, server(), error);
  if (PQstatus(raw) == CONNECTION_BAD && !error) error = detail::failure_of(raw, nullptr, server());
  if (error) std::rethrow_exception(error);

  std::vector<Result> out(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    out[i].impl_->raw = std::exchange(pending.results[i], nullptr);
    ++stats_.statements;
    detail::index(stats_, *out[i].impl_);
  }
  return out;
}

}  // namespace certbench::db
