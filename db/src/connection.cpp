#include "certbench/db/connection.hpp"

#include <libpq-fe.h>
#include <pqxx/pqxx>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <regex>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "certbench/core/errors.hpp"
#include "certbench/sys/cpu_time.hpp"

namespace certbench::db {

// ---- Result ---------------------------------------------------------------------------------

// A result points into whichever object owns the data: a PGresult from the prepared-statement
// path (every measured call), which talks to libpq directly and is read in place — libpq keeps
// each field's pointer, length and NULL flag already, so copying them into an index of our own
// would only cost a second pass and an allocation —, or a pqxx::result from exec and exec_params,
// whose per-field accessors cost more, indexed once when it arrives.
struct Result::Impl {
  PGresult* raw = nullptr;
  std::optional<pqxx::result> result;  // only for the libpqxx path: an empty one allocates
  std::vector<std::optional<std::string_view>> fields;  // the libpqxx path's fields, row by row
  std::vector<std::string_view> column_names;            // the libpqxx path's
  std::size_t rows = 0;
  std::size_t columns = 0;
  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (raw != nullptr) PQclear(raw);
  }
};

Result::Result() : impl_(std::make_unique<Impl>()) {}
Result::~Result() = default;
Result::Result(Result&&) noexcept = default;
Result& Result::operator=(Result&&) noexcept = default;

std::size_t Result::rows() const noexcept { return impl_->rows; }
std::size_t Result::columns() const noexcept { return impl_->columns; }

std::string_view Result::column_name(std::size_t column) const {
  if (column >= impl_->columns) throw std::out_of_range("Result::column_name: no such column");
  return impl_->raw != nullptr ? std::string_view(PQfname(impl_->raw, static_cast<int>(column)))
                               : impl_->column_names[column];
}

std::size_t Result::column(std::string_view name) const {
  for (std::size_t i = 0; i < impl_->columns; ++i)
    if (column_name(i) == name) return i;
  throw QueryError("the result has no column named " + std::string(name), "");
}

std::optional<std::string_view> Result::get(std::size_t row, std::size_t column) const {
  if (row >= impl_->rows || column >= impl_->columns) throw std::out_of_range("Result::get: no such field");
  if (const PGresult* r = impl_->raw) {
    const int i = static_cast<int>(row), c = static_cast<int>(column);
    if (PQgetisnull(r, i, c)) return std::nullopt;
    return std::string_view(PQgetvalue(r, i, c), static_cast<std::size_t>(PQgetlength(r, i, c)));
  }
  return impl_->fields[row * impl_->columns + column];
}

std::string_view Result::text(std::size_t row, std::size_t column) const {
  auto v = get(row, column);
  if (!v) throw QueryError("unexpected NULL in column " + std::to_string(column), "");
  return *v;
}

std::int64_t Result::int64(std::size_t row, std::size_t column) const {
  const auto t = text(row, column);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size())
    throw QueryError("not an integer: '" + std::string(t) + "'", "");
  return value;
}

bool Result::boolean(std::size_t row, std::size_t column) const {
  return text(row, column) == "t";
}

// ---- Connection -----------------------------------------------------------------------------

namespace {
// The statement calls' part of the thread's CPU, under a sys::CpuMeter (the anatomy of a call).
struct StatementCpu : sys::CpuSpan {
  StatementCpu() noexcept : sys::CpuSpan(sys::CpuPart::statement) {}
};
}  // namespace

namespace {

// libpqxx 6.4 lacks some of libpq: COPY options (FREEZE), and cheap access to results. Its documented
// extension point, the connection policy, sees libpq's handle on every (re)connect; this one
// keeps Connection's copy of it current, so those few features can use the same session.
// The libpq side of a session: its handle, and the statements prepared on it — which a new
// session (libpqxx reconnects a broken connection by itself) no longer has.
struct RawSession {
  struct Prepared {
    std::string server_name;  // "s<n>": the client's names may exceed PostgreSQL's 63 bytes
    std::uint64_t last_use = 0;
  };
  PGconn* handle = nullptr;
  std::map<std::string, Prepared, std::less<>> prepared;  // by the client's name
  std::uint64_t uses = 0;      // a clock for least-recently-used
  std::uint64_t next_id = 0;
  void reset(PGconn* h) noexcept {
    handle = h;
    prepared.clear();
  }
};

class HandlePolicy final : public pqxx::connect_direct {
 public:
  HandlePolicy(const std::string& options, RawSession* session) : connect_direct(options), session_(session) {}
  handle do_startconnect(handle orig) override {
    handle h = connect_direct::do_startconnect(orig);
    session_->reset(h);
    return h;
  }
  handle do_dropconnect(handle orig) noexcept override {
    session_->reset(nullptr);
    return connect_direct::do_dropconnect(orig);
  }
  handle do_disconnect(handle orig) noexcept override {
    session_->reset(nullptr);
    return connect_direct::do_disconnect(orig);
  }

 private:
  RawSession* session_;
};

// pqxx::connection with HandlePolicy (the shape of pqxx::basic_connection_base).
class PqxxConnection final : public pqxx::connection_base {
 public:
  PqxxConnection(const std::string& options, RawSession* session)
      : connection_base(policy_), policy_(options, session) {
    init();
  }
  ~PqxxConnection() noexcept { close(); }
  PqxxConnection(const PqxxConnection&) = delete;
  PqxxConnection& operator=(const PqxxConnection&) = delete;

 private:
  HandlePolicy policy_;
};

}  // namespace

struct Connection::Impl {
  RawSession raw;  // libpq's side of `conn`, kept current by HandlePolicy
  std::unique_ptr<PqxxConnection> conn;
  std::unique_ptr<pqxx::work> tx;  // the open Transaction, if any
  std::string dsn_masked;

  template <typename Run>
  pqxx::result run(Run&& statement) {
    if (tx) return statement(static_cast<pqxx::transaction_base&>(*tx));
    pqxx::nontransaction nt(*conn);
    return statement(static_cast<pqxx::transaction_base&>(nt));
  }
};

namespace {

[[noreturn]] void rethrow_as_certbench(const std::string& server) {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    throw ConnectionError("lost the connection to PostgreSQL at " + server + ": " +
                          first_line(e.what()));
  } catch (const pqxx::sql_error& e) {
    throw QueryError("PostgreSQL at " + server + " refused a statement: " + first_line(e.what()),
                     e.sqlstate());
  } catch (const pqxx::failure& e) {
    throw QueryError("PostgreSQL at " + server + ": " + first_line(e.what()), "");
  }
}

// Counts the rows and bytes a result brought; a libpqxx result is also indexed for Result::get,
// in the same pass.
void index(CallStats& stats, Result::Impl& impl) {
  if (impl.raw != nullptr) {
    const PGresult* r = impl.raw;
    const int rows = PQntuples(r), columns = PQnfields(r);
    impl.rows = static_cast<std::size_t>(rows);
    impl.columns = static_cast<std::size_t>(columns);
    std::uint64_t bytes = 0;
    for (int i = 0; i < rows; ++i)
      for (int c = 0; c < columns; ++c) bytes += static_cast<std::uint64_t>(PQgetlength(r, i, c));
    stats.bytes_received += bytes;
  } else {
    const pqxx::result& r = *impl.result;
    impl.rows = r.size();
    impl.columns = static_cast<std::size_t>(r.columns());
    for (pqxx::row::size_type c = 0; c < r.columns(); ++c) impl.column_names.emplace_back(r.column_name(c));
    impl.fields.reserve(impl.rows * impl.columns);
    for (const auto& row : r)
      for (const auto& field : row) {
        stats.bytes_received += field.size();
        impl.fields.push_back(field.is_null() ? std::nullopt
                                              : std::optional<std::string_view>(std::string_view(field.c_str(), field.size())));
      }
  }
  stats.rows_received += impl.rows;
}

// A statement answered on its own: one statement, one round trip, and what it brought.
void count(CallStats& stats, Result::Impl& impl) {
  ++stats.round_trips;
  ++stats.statements;
  index(stats, impl);
}

// The error a failed libpq result (or, without one, the session) reports: QueryError, or
// ConnectionError when the session is gone. The message and SQLSTATE are copied out; `r` is not
// freed here.
std::exception_ptr failure_of(PGconn* raw, const PGresult* r, const std::string& server) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  const std::string message = first_line(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(raw));
  if (PQstatus(raw) == CONNECTION_BAD)
    return std::make_exception_ptr(ConnectionError("lost the connection to PostgreSQL at " + server + ": " + message));
  return std::make_exception_ptr(QueryError("PostgreSQL at " + server + " refused a statement: " + message, sqlstate));
}

bool succeeded(const PGresult* r) {
  const auto status = PQresultStatus(r);
  return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
}

}  // namespace

Connection::Connection(const std::string& dsn) : impl_(std::make_unique<Impl>()) {
  impl_->dsn_masked = mask_password(dsn);
  try {
    impl_->conn = std::make_unique<PqxxConnection>(dsn, &impl_->raw);
  } catch (const std::exception& e) {
    std::string reason = first_line(e.what());
    // libpq names the server in connection failures ("connection to server at …"); when it does
    // not (a malformed DSN), name the DSN ourselves.
    if (reason.rfind("connection to server", 0) == 0)
      throw ConnectionError("cannot connect to PostgreSQL: " + reason);
    throw ConnectionError("cannot connect to PostgreSQL with DSN '" + impl_->dsn_masked +
                          "': " + reason);
  }
}

Connection::~Connection() = default;

std::string Connection::server() const {
  const char* host = impl_->conn->hostname();
  const char* port = impl_->conn->port();
  return std::string(host != nullptr ? host : "?") + ":" + (port != nullptr ? port : "?");
}

int Connection::server_version() const { return impl_->conn->server_version(); }

Result Connection::exec(std::string_view sql) {
  const StatementCpu cpu;
  Result out;
  try {
    out.impl_->result.emplace(impl_->run([&](pqxx::transaction_base& t) { return t.exec(std::string(sql)); }));
  } catch (const pqxx::failure&) {
    rethrow_as_certbench(server());
  }
  count(stats_, *out.impl_);
  return out;
}

Result Connection::exec_params(std::string_view sql, std::initializer_list<Param> params) {
  return exec_params(sql, std::vector<Param>(params));
}

namespace {
std::vector<const char*> raw_params(const std::vector<Param>& params) {
  std::vector<const char*> raw;
  raw.reserve(params.size());
  for (const auto& p : params) raw.push_back(p ? p->c_str() : nullptr);
  return raw;
}
}  // namespace

Result Connection::exec_params(std::string_view sql, const std::vector<Param>& params) {
  const StatementCpu cpu;
  const auto raw = raw_params(params);
  Result out;
  try {
    out.impl_->result.emplace(impl_->run([&](pqxx::transaction_base& t) {
      return t.exec_params(std::string(sql), pqxx::prepare::make_dynamic_params(raw));
    }));
  } catch (const pqxx::failure&) {
    rethrow_as_certbench(server());
  }
  count(stats_, *out.impl_);
  return out;
}

// Through libpq: the path every measured call takes, so it does no more than pgbench -M prepared
// would (libpqxx's per-field accessors cost more than the decoding of a page; see callgrind).
std::string Connection::prepare_once(const std::string& name, std::string_view sql, std::size_t params,
                                     CallStats& stats) {
  PGconn* raw = impl_->raw.handle;
  if (raw == nullptr) throw ConnectionError("lost the connection to PostgreSQL at " + server());
  auto& session = impl_->raw;
  if (auto it = session.prepared.find(name); it != session.prepared.end()) {
    it->second.last_use = ++session.uses;
    return it->second.server_name;
  }
  if (!session.prepared.empty() && session.prepared.size() >= prepared_limit_) {
    // The least recently used goes: a cap on what the server keeps for this session (each
    // statement holds its plan), whatever names the callers make.
    auto victim = session.prepared.begin();
    for (auto it = session.prepared.begin(); it != session.prepared.end(); ++it)
      if (it->second.last_use < victim->second.last_use) victim = it;
    PGresult* gone = PQexec(raw, ("DEALLOCATE " + victim->second.server_name).c_str());
    // Forgotten either way: its server name is never reused, and a victim kept would be picked
    // (and fail) again.
    session.prepared.erase(victim);
    if (!succeeded(gone)) {
      auto error = failure_of(raw, gone, server());
      PQclear(gone);
      std::rethrow_exception(error);
    }
    PQclear(gone);
    ++stats.round_trips;
    ++stats.statements;
  }
  std::string server_name = "s" + std::to_string(++session.next_id);
  PGresult* prepared = PQprepare(raw, server_name.c_str(), std::string(sql).c_str(), static_cast<int>(params), nullptr);
  if (!succeeded(prepared)) {
    auto error = failure_of(raw, prepared, server());
    PQclear(prepared);
    std::rethrow_exception(error);
  }
  PQclear(prepared);
  session.prepared.emplace(name, RawSession::Prepared{server_name, ++session.uses});
  ++stats.round_trips;
  ++stats.statements;
  return server_name;
}

void Connection::set_prepared_limit(std::size_t limit) {
  if (limit < kMinPreparedLimit)
    throw std::invalid_argument("Connection::set_prepared_limit: at least " + std::to_string(kMinPreparedLimit));
  prepared_limit_ = limit;
}

std::size_t Connection::prepared_count() const noexcept { return impl_->raw.prepared.size(); }

Result Connection::exec_prepared(const std::string& name, std::string_view sql,
                                 const std::vector<Param>& params) {
  const StatementCpu cpu;
  const std::string statement = prepare_once(name, sql, params.size(), stats_);
  PGconn* raw = impl_->raw.handle;
  if (recorded_ != nullptr) recorded_->push_back({std::string(sql), params});
  const auto values = raw_params(params);
  PGresult* r = PQexecPrepared(raw, statement.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                               nullptr, 0);
  if (!succeeded(r)) {
    auto error = failure_of(raw, r, server());
    PQclear(r);
    std::rethrow_exception(error);
  }
  Result out;
  out.impl_->raw = r;
  count(stats_, *out.impl_);
  return out;
}

namespace {
// Owns the PGresults of a pipeline or a fan-out until they become Results.
struct PendingResults {
  std::vector<PGresult*> results;
  explicit PendingResults(std::size_t n) : results(n, nullptr) {}
  ~PendingResults() {
    for (auto* r : results)
      if (r != nullptr) PQclear(r);
  }
  PendingResults(const PendingResults&) = delete;
  PendingResults& operator=(const PendingResults&) = delete;
  /// One PGresult of call `i`, pipelined or fanned out alike: the first success is the call's
  /// result, the first failure of the whole exchange its error (naming `session`'s server, which
  /// is looked up only then: every result passes here), anything else is freed.
  void take(std::size_t i, PGresult* r, std::exception_ptr& error, PGconn* raw, const Connection& session) {
    if (!succeeded(r) && !error) error = failure_of(raw, r, session.server());
    if (results[i] == nullptr && succeeded(r)) results[i] = r;
    else PQclear(r);
  }
};
}  // namespace

// Pipeline mode (libpq 14+): the statements go out together, followed by one Sync; the server runs
// them in order and answers all of them; the client waits once.
std::vector<Result> Connection::exec_pipeline(std::span<const PreparedCall> calls) {
  const StatementCpu cpu;
  if (calls.empty()) return {};
  // Every statement must stay prepared until it is sent: more than the limit would evict its own.
  if (calls.size() > prepared_limit_)
    throw std::invalid_argument("Connection::exec_pipeline: more statements than the session keeps prepared");
  std::vector<std::string> names;  // as the server knows them
  names.reserve(calls.size());
  for (const auto& c : calls) names.push_back(prepare_once(c.name, c.sql, c.params.size(), stats_));
  PGconn* raw = impl_->raw.handle;
  if (PQenterPipelineMode(raw) != 1)
    throw QueryError("PostgreSQL at " + server() + ": cannot enter pipeline mode: " + first_line(PQerrorMessage(raw)), "");
  if (recorded_ != nullptr)
    for (const auto& c : calls) recorded_->push_back({c.sql, c.params});

  PendingResults pending(calls.size());
  std::exception_ptr error;  // the first failure
  std::size_t sent = 0;
  for (const auto& c : calls) {
    const auto values = raw_params(c.params);
    if (PQsendQueryPrepared(raw, names[sent].c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0) != 1) {
      error = failure_of(raw, nullptr, server());
      break;
    }
    ++sent;
  }
  // The Sync ends the implicit transaction and tells the server to answer; even after a failed
  // send it lets the statements already queued finish, so the session leaves pipeline mode clean.
  const bool synced = PQpipelineSync(raw) == 1;
  if (!synced && !error) error = failure_of(raw, nullptr, server());
  if (synced) {
    // Each statement's results end with a null; the Sync's own result comes last. A statement
    // after a failed one is answered PGRES_PIPELINE_ABORTED.
    for (std::size_t i = 0; i < sent; ++i) {
      while (PGresult* r = PQgetResult(raw)) pending.take(i, r, error, raw, *this);
      if (PQstatus(raw) == CONNECTION_BAD) break;
    }
    while (PGresult* r = PQgetResult(raw)) {
      const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
      PQclear(r);
      if (sync || PQstatus(raw) == CONNECTION_BAD) break;
    }
  }
  ++stats_.round_trips;
  if (PQexitPipelineMode(raw) != 1 && !error)
    error = std::make_exception_ptr(QueryError(
        "PostgreSQL at " + server() + ": cannot leave pipeline mode: " + first_line(PQerrorMessage(raw)), ""));
  if (PQstatus(raw) == CONNECTION_BAD && !error) error = failure_of(raw, nullptr, server());
  if (error) std::rethrow_exception(error);

  std::vector<Result> out(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    out[i].impl_->raw = std::exchange(pending.results[i], nullptr);
    ++stats_.statements;
    index(stats_, *out[i].impl_);
  }
  return out;
}

// Several sessions at once: each session's statement is sent without waiting, then the sessions'
// sockets are polled together and each result read as it arrives, the session's next statement
// (if it was given several) sent as soon as its previous one is answered.
std::vector<Result> Connection::exec_concurrently(std::span<Connection* const> sessions,
                                                  std::span<const PreparedCall> calls) {
  const StatementCpu cpu;
  if (calls.empty()) return {};
  if (sessions.empty()) throw std::invalid_argument("Connection::exec_concurrently: no sessions");
  const std::size_t n = std::min(sessions.size(), calls.size());
  for (std::size_t k = 0; k < n; ++k)  // each session's statements must stay prepared until sent
    if ((calls.size() - k + n - 1) / n > sessions[k]->prepared_limit_)
      throw std::invalid_argument("Connection::exec_concurrently: more statements than a session keeps prepared");
  std::vector<std::string> names;  // as each call's session knows it
  names.reserve(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i)
    names.push_back(sessions[i % n]->prepare_once(calls[i].name, calls[i].sql, calls[i].params.size(), stats_));
  if (recorded_ != nullptr)
    for (const auto& c : calls) recorded_->push_back({c.sql, c.params});

  struct Lane {
    Connection* session;
    PGconn* raw;
    std::size_t next;     // the next call index this lane sends (i, i + n, …)
    std::size_t current;  // the call in flight; calls.size() when idle
  };
  PendingResults pending(calls.size());
  std::exception_ptr error;
  std::vector<Lane> lanes;
  lanes.reserve(n);
  auto send = [&](Lane& lane) {
    lane.current = calls.size();
    if (lane.next >= calls.size() || lane.raw == nullptr) return;
    const auto& c = calls[lane.next];
    const auto values = raw_params(c.params);
    if (PQsendQueryPrepared(lane.raw, names[lane.next].c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0) != 1) {
      if (!error) error = failure_of(lane.raw, nullptr, lane.session->server());
      lane.raw = nullptr;  // nothing more on this session
      return;
    }
    ++stats_.round_trips;
    ++stats_.statements;
    lane.current = lane.next;
    lane.next += n;
  };
  for (std::size_t k = 0; k < n; ++k) {
    lanes.push_back({sessions[k], sessions[k]->impl_->raw.handle, k, calls.size()});
    send(lanes.back());
  }
  // Reads what has arrived on a lane; when its statement is answered (the null after its results),
  // sends the lane's next one. False if the session failed.
  auto drain = [&](Lane& lane) {
    while (lane.current < calls.size()) {
      if (PQconsumeInput(lane.raw) != 1) {
        if (!error) error = failure_of(lane.raw, nullptr, lane.session->server());
        lane.current = calls.size();
        lane.raw = nullptr;
        return;
      }
      if (PQisBusy(lane.raw) == 1) return;  // wait for the socket
      PGresult* r = PQgetResult(lane.raw);
      if (r == nullptr) {
        send(lane);
        continue;
      }
      pending.take(lane.current, r, error, lane.raw, *lane.session);
    }
  };
  std::vector<pollfd> fds;
  std::vector<Lane*> polled;
  for (;;) {
    fds.clear();
    polled.clear();
    for (auto& lane : lanes)
      if (lane.current < calls.size()) {
        fds.push_back({PQsocket(lane.raw), POLLIN, 0});
        polled.push_back(&lane);
      }
    if (fds.empty()) break;
    if (::poll(fds.data(), static_cast<nfds_t>(fds.size()), -1) < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      // Wait for the statements in flight the blocking way, so every session is idle again.
      for (auto* lane : polled)
        while (PGresult* r = PQgetResult(lane->raw)) PQclear(r);
      throw EnvironmentError("waiting for PostgreSQL's answers: poll failed: " + why);
    }
    for (std::size_t k = 0; k < fds.size(); ++k)
      if (fds[k].revents != 0) drain(*polled[k]);
  }
  if (error) std::rethrow_exception(error);

  std::vector<Result> out(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    out[i].impl_->raw = std::exchange(pending.results[i], nullptr);
    index(stats_, *out[i].impl_);
  }
  return out;
}

void Connection::copy_in(std::string_view table, std::span<const std::string_view> columns,
                         const std::function<bool(std::string&)>& next_chunk, CopyMode mode) {
  // Through libpq: libpqxx 6.4 cannot add COPY options, and passes rows one call at a time.
  PGconn* raw = impl_->raw.handle;
  if (raw == nullptr) throw ConnectionError("lost the connection to PostgreSQL at " + server());
  std::string sql = "COPY " + std::string(table) + " (";
  for (std::size_t i = 0; i < columns.size(); ++i) sql += (i ? ", " : "") + std::string(columns[i]);
  sql += ") FROM STDIN";
  if (mode == CopyMode::freeze) sql += " WITH (FREEZE)";

  auto failure = [&](PGresult* r) -> std::exception_ptr {
    const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state != nullptr ? state : "";
    const std::string message = first_line(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(raw));
    if (PQstatus(raw) == CONNECTION_BAD)
      return std::make_exception_ptr(ConnectionError("lost the connection to PostgreSQL at " + server() + ": " + message));
    return std::make_exception_ptr(
        QueryError("PostgreSQL at " + server() + " refused COPY into " + std::string(table) + ": " + message, sqlstate));
  };
  // Reads every remaining result; the first error, if any, is returned.
  auto finish = [&]() -> std::exception_ptr {
    std::exception_ptr error;
    while (PGresult* r = PQgetResult(raw)) {
      const auto status = PQresultStatus(r);
      if (status != PGRES_COMMAND_OK && !error) error = failure(r);
      PQclear(r);
      if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT) break;  // libpq would repeat it forever
    }
    return error;
  };

  PGresult* start = PQexec(raw, sql.c_str());
  const bool copying = PQresultStatus(start) == PGRES_COPY_IN;
  std::exception_ptr error;
  if (!copying) error = failure(start);
  PQclear(start);
  if (!copying) {
    (void)finish();
    std::rethrow_exception(error);
  }
  ++stats_.round_trips;
  ++stats_.statements;
  std::string chunk;
  try {
    for (bool more = true; more;) {
      chunk.clear();
      more = next_chunk(chunk);
      // COPY data need not be split at row boundaries: many rows go to libpq in one call.
      if (!chunk.empty() &&
          PQputCopyData(raw, chunk.data(), static_cast<int>(chunk.size())) != 1)
        break;  // could not send (the connection failed); finish() reports why
    }
  } catch (...) {
    PQputCopyEnd(raw, "certbench: the data source failed");
    (void)finish();
    throw;
  }
  PQputCopyEnd(raw, nullptr);
  if (auto e = finish()) std::rethrow_exception(e);
}

// ---- Transaction ----------------------------------------------------------------------------

Transaction::Transaction(Connection& connection) : connection_(connection) {
  try {
    connection_.impl_->tx = std::make_unique<pqxx::work>(*connection_.impl_->conn);
    ++connection_.stats_.round_trips;  // BEGIN
    ++connection_.stats_.statements;
  } catch (const pqxx::failure&) {
    rethrow_as_certbench(connection_.server());
  }
}

Transaction::~Transaction() {
  // pqxx::work rolls back in its destructor when not committed; a broken connection is fine too.
  try {
    connection_.impl_->tx.reset();
  } catch (...) {
  }
}

void Transaction::commit() {
  if (!open_) throw std::logic_error("Transaction::commit called twice");
  open_ = false;
  try {
    connection_.impl_->tx->commit();
    ++connection_.stats_.round_trips;
    ++connection_.stats_.statements;
  } catch (const pqxx::failure&) {
    connection_.impl_->tx.reset();
    rethrow_as_certbench(connection_.server());
  }
  connection_.impl_->tx.reset();
}

// ---- helpers --------------------------------------------------------------------------------

std::string quote_identifier(std::string_view name) {
  static const std::regex plain("[a-z_][a-z0-9_]{0,62}");
  if (!std::regex_match(name.begin(), name.end(), plain))
    throw InputError("'" + std::string(name) +
                     "' is not a valid schema name: use lower-case letters, digits and '_', "
                     "starting with a letter or '_', at most 63 characters");
  return "\"" + std::string(name) + "\"";
}

std::string mask_password(std::string_view dsn) {
  std::string s(dsn);
  static const std::regex uri(R"(^(postgres(?:ql)?://[^:/@]*:)[^@]*@)");
  static const std::regex keyword(R"((password\s*=\s*)('[^']*'|\S+))");
  s = std::regex_replace(s, uri, "$1***@");
  s = std::regex_replace(s, keyword, "$1***");
  return s;
}

}  // namespace certbench::db
