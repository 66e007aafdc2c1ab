#pragma once
// The one database wrapper. Every statement any certbench code sends goes through Connection, so
// it can count what a call costs: statements, round trips, rows and bytes received. Underneath, libpqxx runs
// connections, transactions and ordinary statements, and libpq itself, on the same session, runs
// prepared statements (every measured call) and COPY; neither library's types appear here.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace certbench::db {

/// What statements cost, counted by Connection since the last reset_stats().
struct CallStats {
  /// Times the client sent and then waited for the server's answer: one per statement (a COPY
  /// counts once), except a pipeline (exec_pipeline), which is one for all its statements.
  std::uint64_t round_trips = 0;
  std::uint64_t rows_received = 0;   ///< result rows
  std::uint64_t bytes_received = 0;  ///< result field bytes (text format)
  /// Statements executed (a Prepare, BEGIN and COMMIT included; a COPY counts once). Equal to
  /// round_trips for every path but exec_pipeline.
  std::uint64_t statements = 0;
};

/// A statement's result: text fields, NULL as std::nullopt.
class Result {
 public:
  Result();
  ~Result();
  Result(Result&&) noexcept;
  Result& operator=(Result&&) noexcept;

  [[nodiscard]] std::size_t rows() const noexcept;
  [[nodiscard]] std::size_t columns() const noexcept;
  [[nodiscard]] std::string_view column_name(std::size_t column) const;
  /// The index of the column named `name`; throws QueryError if there is none.
  [[nodiscard]] std::size_t column(std::string_view name) const;
  [[nodiscard]] std::optional<std::string_view> get(std::size_t row, std::size_t column) const;
  /// The field as text; throws QueryError if it is NULL.
  [[nodiscard]] std::string_view text(std::size_t row, std::size_t column) const;
  [[nodiscard]] std::int64_t int64(std::size_t row, std::size_t column) const;
  [[nodiscard]] bool boolean(std::size_t row, std::size_t column) const;

 private:
  friend class Connection;

 public:
  struct Impl;  // defined in src/connection_parts.hpp

 private:
  std::unique_ptr<Impl> impl_;
};

/// A statement parameter in text form; std::nullopt is SQL NULL.
using Param = std::optional<std::string>;

/// A prepared statement as it was executed: its SQL and the parameters of that execution.
struct ExecutedStatement {
  std::string sql;
  std::vector<Param> params;
};

/// One execution of a prepared statement: its name (which always stands for the same SQL), the
/// SQL, and this execution's parameters.
struct PreparedCall {
  std::string name;
  std::string sql;
  std::vector<Param> params;
};

class Connection {
 public:
  /// Connects; throws ConnectionError naming the server and the reason.
  explicit Connection(const std::string& dsn);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Runs one statement (in the open Transaction, if any; otherwise on its own).
  Result exec(std::string_view sql);
  /// Runs one statement with $1, $2, … bound to `params`.
  Result exec_params(std::string_view sql, std::initializer_list<Param> params);
  Result exec_params(std::string_view sql, const std::vector<Param>& params);

  /// Runs the statement `sql` prepared under `name`: the first call prepares it (one more round
  /// trip), later calls only bind and execute. A name always stands for the same SQL, of any
  /// length (the server knows it by a short name of its own). A session keeps at most
  /// prepared_limit() statements: preparing one more first deallocates the least recently used
  /// (one more round trip, counted), so callers may name a statement per page bound without the
  /// server's memory growing with the pages asked for.
  Result exec_prepared(const std::string& name, std::string_view sql, const std::vector<Param>& params);

  /// Runs `calls` in one libpq pipeline (pipeline mode): all of them sent, one Sync, then every
  /// result read — one round trip of waiting for all of them. Statements not yet prepared on this
  /// session are prepared first (one round trip each, as exec_prepared does). Results in the order
  /// of `calls`. Counted: a statement per call, one round trip. Outside a Transaction the calls run
  /// in one implicit transaction, so when one fails the later ones do not run: throws QueryError
  /// naming the first failure (ConnectionError if the session was lost), and the session is usable
  /// afterwards. Empty `calls`: no round trip. More calls than prepared_limit(): std::invalid_argument.
  std::vector<Result> exec_pipeline(std::span<const PreparedCall> calls);

  /// Runs `calls` at once on several sessions: call i on sessions[i % sessions.size()] (a session
  /// given several runs them one after another), every session's statement in flight together,
  /// waited for with libpq's asynchronous calls on this thread. `sessions` may include this
  /// connection; none may be in a Transaction. Statements not yet prepared on a session are
  /// prepared there first. Results in the order of `calls`. Counted and recorded on this
  /// connection, whichever session ran them: a statement and a round trip per call (each session
  /// waits for each of its answers; the waits overlap in time). Every result is read before
  /// returning, so each session stays usable; a failure throws QueryError naming the first one
  /// (ConnectionError if a session was lost). More calls for a session than its prepared_limit():
  /// std::invalid_argument.
  std::vector<Result> exec_concurrently(std::span<Connection* const> sessions, std::span<const PreparedCall> calls);

  enum class CopyMode {
    plain,
    /// COPY … WITH (FREEZE): rows are written frozen and pages all-visible, so no VACUUM has to
    /// rewrite them. Only for a table created or truncated in the open transaction.
    freeze,
  };

  /// COPY … FROM STDIN into `table` (a plain or already quoted name). `next_chunk` appends COPY
  /// text-format data (whole rows, each ending in '\n') to its argument and returns false when
  /// there is no more; an exception from it aborts the COPY. Counted as one round trip.
  void copy_in(std::string_view table, std::span<const std::string_view> columns,
               const std::function<bool(std::string&)>& next_chunk, CopyMode mode = CopyMode::plain);

  /// While `sink` is set, every exec_prepared (exec_pipeline, exec_concurrently) execution is appended to it (for EXPLAIN after a
  /// measurement: which statements a call ran, with which parameters). nullptr stops recording.
  void capture_statements(std::vector<ExecutedStatement>* sink) noexcept { captured_ = sink; }

  /// The most statements this session keeps prepared (default kDefaultPreparedLimit); throws
  /// std::invalid_argument below kMinPreparedLimit (a pipeline's statements must fit at once).
  void set_prepared_limit(std::size_t limit);
  [[nodiscard]] std::size_t prepared_limit() const noexcept { return prepared_limit_; }
  /// Statements prepared on this session now.
  [[nodiscard]] std::size_t prepared_count() const noexcept;
  static constexpr std::size_t kDefaultPreparedLimit = 256;
  static constexpr std::size_t kMinPreparedLimit = 16;

  [[nodiscard]] const CallStats& stats() const noexcept { return stats_; }
  void reset_stats() noexcept { stats_ = {}; }

  /// "host:port" (or the socket directory) of the server, for messages.
  [[nodiscard]] std::string server() const;
  /// The server's version number, e.g. 150018.
  [[nodiscard]] int server_version() const;

 private:
  friend class Transaction;
  struct Impl;
  /// Prepares `name` on this session unless it already is (evicting the least recently used at
  /// the limit); the cost is counted in `stats`. Returns the name the server knows it by.
  std::string prepare_once(const std::string& name, std::string_view sql, std::size_t params, CallStats& stats);
  std::unique_ptr<Impl> impl_;
  CallStats stats_;
  std::size_t prepared_limit_ = kDefaultPreparedLimit;
  std::vector<ExecutedStatement>* captured_ = nullptr;
};

/// A transaction on a Connection: statements run through Connection::exec while it is open belong
/// to it. Rolled back on destruction unless committed.
class Transaction {
 public:
  explicit Transaction(Connection& connection);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Connection& connection_;
  bool open_ = true;
};

/// `name` as a quoted SQL identifier. Throws InputError unless it is a plain lower-case
/// identifier ([a-z_][a-z0-9_]*, at most 63 bytes): certbench never needs anything else.
std::string quote_identifier(std::string_view name);

/// `dsn` with certbench's client-side guards against a server that stops answering, each one
/// added only where the DSN sets nothing of its own (nothing at all beside a `service`, whose file
/// libpq reads): TCP keepalives after 30 s of silence, every 10 s, 3 unanswered, and
/// tcp_user_timeout 60 s — a dead host or a cut network ends the session within about a minute,
/// even while it waits for an answer (libpq's default is the kernel's: two hours and more). Every
/// Connection opens its session with these, and then sets statement_timeout to 30 min where nothing
/// else set one (the DSN, $PGOPTIONS, the role, the database, the server). The connect timeout is
/// libpq's PGCONNECT_TIMEOUT, which certbench's main() defaults to 10 s. A server process frozen on
/// a host that still answers TCP (SIGSTOP) is caught by none of them.
std::string with_session_guards(std::string_view dsn);

/// When with_settings applies a setting the DSN already has.
enum class Setting { where_unset, always };

/// `dsn` (key=value words or a postgres:// URI) with `settings` applied — each added where the DSN
/// sets nothing of its own, and with Setting::always put in place of the DSN's own — written as
/// key='value' words, so no character of a URI's password or query can be taken for a separator.
/// A DSN libpq cannot parse, or one that already says all of it, is returned as it is.
std::string with_settings(std::string_view dsn, const std::vector<std::pair<std::string, std::string>>& settings,
                          Setting when);

/// The DSN with any password replaced by "***", for messages.
std::string mask_password(std::string_view dsn);

}  // namespace certbench::db
