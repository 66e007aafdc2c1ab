// Connection's internals shared by its source files: the libpq side of a session, Impl, and helpers.
#pragma once

#include <libpq-fe.h>
#include <pqxx/pqxx>

#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/db/connection.hpp"
#include "certbench/sys/cpu_time.hpp"

namespace certbench::db {

namespace detail {

// The statement calls' part of the thread's CPU, under a sys::CpuMeter (the anatomy of a call).
struct StatementCpu : sys::CpuSpan {
  StatementCpu() noexcept : sys::CpuSpan(sys::CpuPart::statement) {}
};

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

// libpqxx 6.4 lacks some of libpq: COPY options (FREEZE), and cheap access to results. Its documented
// extension point, the connection policy, sees libpq's handle on every (re)connect; this one
// keeps Connection's copy of it current, so those few features can use the same session.
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

}  // namespace detail

struct Connection::Impl {
  detail::RawSession raw;  // libpq's side of `conn`, kept current by HandlePolicy
  std::unique_ptr<detail::PqxxConnection> conn;
  std::unique_ptr<pqxx::work> tx;  // the open Transaction, if any
  std::string dsn_masked;

  template <typename Run>
  pqxx::result run(Run&& statement) {
    if (tx) return statement(static_cast<pqxx::transaction_base&>(*tx));
    pqxx::nontransaction nt(*conn);
    return statement(static_cast<pqxx::transaction_base&>(nt));
  }
};

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

namespace detail {

// The libpqxx failure being handled, rethrown as certbench's ConnectionError or QueryError.
[[noreturn]] void rethrow_as_certbench(const std::string& server);

// Counts the rows and bytes a result brought; a libpqxx result is also indexed for Result::get,
// in the same pass.
void index(CallStats& stats, Result::Impl& impl);

// The error a failed libpq result (or, without one, the session) reports: QueryError, or
// ConnectionError when the session is gone. The message and SQLSTATE are copied out; `r` is not
// freed here.
std::exception_ptr failure_of(PGconn* raw, const PGresult* r, const std::string& server);

inline bool succeeded(const PGresult* r) {
  const auto status = PQresultStatus(r);
  return status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
}

// The parameters as libpq takes them: text, NULL as a null pointer (pointing into `params`).
inline std::vector<const char*> raw_params(const std::vector<Param>& params) {
  std::vector<const char*> raw;
  raw.reserve(params.size());
  for (const auto& p : params) raw.push_back(p ? p->c_str() : nullptr);
  return raw;
}

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

}  // namespace detail

}  // namespace certbench::db
