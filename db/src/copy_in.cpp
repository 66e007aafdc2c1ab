// Connection::copy_in: COPY … FROM STDIN through libpq, many rows a call.
#include <string>

#include "certbench/core/errors.hpp"
#include "connection_parts.hpp"

namespace certbench::db {

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

}  // namespace certbench::db
