// Connection: connecting, plain statements, prepared statements (the cache and DEALLOCATE), helpers.
#include "certbench/db/connection.hpp"

#include <algorithm>
#include <array>
#include <libpq-fe.h>
#include <optional>
#include <regex>
#include <stdexcept>
#include <utility>
#include <vector>

#include "certbench/core/errors.hpp"
#include "connection_parts.hpp"

namespace certbench::db {

using detail::failure_of;
using detail::raw_params;
using detail::rethrow_as_certbench;
using detail::StatementCpu;
using detail::succeeded;

namespace detail {

// An error that ends the session, whatever the connection's state says yet: a connection exception
// (class 08), or the server ending the backend (57P01 terminated by an administrator, 57P02 crash
// shutdown, 57P03 not accepting connections, 57P04 database dropped, 57P05 idle-session timeout).
bool ends_session(std::string_view sqlstate) {
  static constexpr std::array<std::string_view, 5> kEndedByServer{"57P01", "57P02", "57P03", "57P04", "57P05"};
  return sqlstate.starts_with("08") ||
         std::find(kEndedByServer.begin(), kEndedByServer.end(), sqlstate) != kEndedByServer.end();
}

[[noreturn]] void rethrow_as_certbench(const std::string& server) {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    throw ConnectionError("lost the connection to PostgreSQL at " + server + ": " +
                          first_line(e.what()));
  } catch (const pqxx::sql_error& e) {
    if (ends_session(e.sqlstate()))
      throw ConnectionError("lost the connection to PostgreSQL at " + server + ": " + first_line(e.what()));
    throw QueryError("PostgreSQL at " + server + " refused a statement: " + first_line(e.what()),
                     e.sqlstate());
  } catch (const pqxx::failure& e) {
    throw QueryError("PostgreSQL at " + server + ": " + first_line(e.what()), "");
  }
}

std::exception_ptr failure_of(PGconn* raw, const PGresult* r, const std::string& server) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state != nullptr ? state : "";
  const std::string message = first_line(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(raw));
  const char* severity = r != nullptr ? PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED) : nullptr;
  const bool fatal = severity != nullptr && (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC");
  if (PQstatus(raw) == CONNECTION_BAD || fatal || ends_session(sqlstate))
    return std::make_exception_ptr(ConnectionError("lost the connection to PostgreSQL at " + server + ": " + message));
  return std::make_exception_ptr(QueryError("PostgreSQL at " + server + " refused a statement: " + message, sqlstate));
}

}  // namespace detail

namespace {
// A statement answered on its own: one statement, one round trip, and what it brought.
void count(CallStats& stats, Result::Impl& impl) {
  ++stats.round_trips;
  ++stats.statements;
  detail::index(stats, impl);
}
}  // namespace

Connection::Connection(const std::string& dsn) : impl_(std::make_unique<Impl>()) {
  impl_->dsn_masked = mask_password(dsn);
  try {
    impl_->conn = std::make_unique<detail::PqxxConnection>(with_session_guards(dsn), &impl_->raw);
    // The server-side guard: a statement timeout where neither the DSN, $PGOPTIONS, the role, the
    // database nor the server set one (not counted: no call's statement).
    PGresult* r = PQexec(impl_->raw.handle, "SELECT set_config('statement_timeout', '30min', false) "
                                     "WHERE current_setting('statement_timeout') = '0'");
    const bool set = PQresultStatus(r) == PGRES_TUPLES_OK;
    const std::string why = set ? "" : first_line(PQresultErrorMessage(r));
    PQclear(r);
    if (!set) throw std::runtime_error(why);
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
  session.prepared.emplace(name, detail::RawSession::Prepared{server_name, ++session.uses});
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
  if (captured_ != nullptr) captured_->push_back({std::string(sql), params});
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

// ---- helpers --------------------------------------------------------------------------------

std::string quote_identifier(std::string_view name) {
  static const std::regex plain("[a-z_][a-z0-9_]{0,62}");
  if (!std::regex_match(name.begin(), name.end(), plain))
    throw InputError("'" + std::string(name) +
                     "' is not a valid schema name: use lower-case letters, digits and '_', "
                     "starting with a letter or '_', at most 63 characters");
  return "\"" + std::string(name) + "\"";
}

namespace {

using Words = std::vector<std::pair<std::string, std::string>>;

/// What a DSN (either form) sets itself, in libpq's order of keywords; nothing when libpq cannot
/// parse it.
std::optional<Words> words_of(std::string_view dsn) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(dsn).c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return std::nullopt;
  }
  Words words;
  for (auto* o = options; o->keyword != nullptr; ++o)
    if (o->val != nullptr) words.emplace_back(o->keyword, o->val);
  PQconninfoFree(options);
  return words;
}

}  // namespace

namespace {

// `words` with `settings` applied as with_settings says, written as key='value' words (either form
// of DSN parses to the same keywords), so no character of a URI's password or query can be taken
// for a separator; nothing when no setting changed them.
std::optional<std::string> applied(Words words, const std::vector<std::pair<std::string, std::string>>& settings,
                                   Setting when) {
  bool changed = false;
  for (const auto& setting : settings) {
    const auto& [key, value] = setting;
    auto own = std::find_if(words.begin(), words.end(), [&setting](const auto& w) { return w.first == setting.first; });
    if (own == words.end()) {
      words.emplace_back(key, value);
      changed = true;
    } else if (when == Setting::always && own->second != value) {
      own->second = value;
      changed = true;
    }
  }
  if (!changed) return std::nullopt;
  std::string out;
  for (const auto& [key, value] : words) {
    std::string quoted;
    for (char c : value) quoted += c == '\\' || c == '\'' ? std::string{'\\', c} : std::string(1, c);
    out += (out.empty() ? "" : " ") + key + "='" + quoted + "'";
  }
  return out;
}

}  // namespace

std::string with_settings(std::string_view dsn, const std::vector<std::pair<std::string, std::string>>& settings,
                          Setting when) {
  auto words = words_of(dsn);
  if (!words) return std::string(dsn);  // malformed: libpq says why when it connects
  return applied(std::move(*words), settings, when).value_or(std::string(dsn));
}

std::string with_session_guards(std::string_view dsn) {
  auto words = words_of(dsn);
  // A service file's settings are libpq's to read, and words added here would override them.
  if (!words || std::any_of(words->begin(), words->end(), [](const auto& w) { return w.first == "service"; }))
    return std::string(dsn);
  return applied(std::move(*words),
                 {{"keepalives", "1"},
                  {"keepalives_idle", "30"},
                  {"keepalives_interval", "10"},
                  {"keepalives_count", "3"},
                  {"tcp_user_timeout", "60000"}},
                 Setting::where_unset)
      .value_or(std::string(dsn));
}

std::string mask_password(std::string_view dsn) {
  std::string s(dsn);
  static const std::regex uri(R"(^(postgres(?:ql)?://[^:/@]*:)[^@]*@)");
  static const std::regex keyword(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+))");  // quoted, with \' and \\ inside
  s = std::regex_replace(s, uri, "$1***@");
  s = std::regex_replace(s, keyword, "$1***");
  return s;
}

}  // namespace certbench::db
