#pragma once
// The one database wrapper. Every statement any certbench code sends goes through Connection, so
// it can count what a call costs: round trips, rows and bytes received. Underneath, libpqxx runs
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
  std::uint64_t round_trips = 0;     ///< statements sent and answered (a COPY counts once)
  std::uint64_t rows_received = 0;   ///< result rows
  std::uint64_t bytes_received = 0;  ///< result field bytes (text format)
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
  struct Impl;  // defined in connection.cpp

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
  /// trip), later calls only bind and execute. A name always stands for the same SQL.
  Result exec_prepared(const std::string& name, std::string_view sql, const std::vector<Param>& params);

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

  /// While `sink` is set, every exec_prepared execution is appended to it (for EXPLAIN after a
  /// measurement: which statements a call ran, with which parameters). nullptr stops recording.
  void record_statements(std::vector<ExecutedStatement>* sink) noexcept { recorded_ = sink; }

  [[nodiscard]] const CallStats& stats() const noexcept { return stats_; }
  void reset_stats() noexcept { stats_ = {}; }

  /// "host:port" (or the socket directory) of the server, for messages.
  [[nodiscard]] std::string server() const;
  /// The server's version number, e.g. 150018.
  [[nodiscard]] int server_version() const;

 private:
  friend class Transaction;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  CallStats stats_;
  std::vector<ExecutedStatement>* recorded_ = nullptr;
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

/// The DSN with any password replaced by "***", for messages.
std::string mask_password(std::string_view dsn);

}  // namespace certbench::db
