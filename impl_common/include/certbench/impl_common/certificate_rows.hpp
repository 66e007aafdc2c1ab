#pragma once
// What the naive and the optimized implementations share, so that comparing them shows only
// what the review is about: how a session is set up for a dataset, and how a result row becomes
// a CertificateRow (by column name: the naive SELECT * and the optimized column lists decode
// the same way).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/listing.hpp"
#include "certbench/db/connection.hpp"

namespace certbench::impl_common {

/// Points the session at the dataset in `schema` (search_path) with timestamps in UTC, and resets
/// its counters: what every implementation does once, before any measured call.
void use_dataset(db::Connection& connection, std::string_view schema);

/// The user who created the most certificates (ties: the smallest id), 0 if there are none: the
/// user whose listing the review's N+1 hurts most, used by the benchmarks and `run`.
std::int64_t busiest_owner(db::Connection& connection);
/// The same, on a connection of its own to the dataset in `schema`: no measured session's backend
/// does this aggregate before the others (a backend's state and placement outlast the query).
std::int64_t busiest_owner(const std::string& dsn, std::string_view schema);

/// Microseconds since the epoch of PostgreSQL's timestamptz text in UTC, e.g.
/// "2023-05-17 13:45:12.123456+00" (fraction optional). Throws QueryError on anything else.
std::int64_t parse_timestamp_us(std::string_view text);

/// ISO 8601 in UTC with microseconds when there are any: "2023-05-17T13:45:12.123456Z".
std::string iso8601(std::int64_t us);

/// Column indexes of a result, looked up once per result.
struct CertificateColumns {
  explicit CertificateColumns(const db::Result& result);
  std::size_t id, certificate_number, generated_at, recipient_name, is_public, created_by, spa_id,
      template_id, file_path, image_path;
  std::optional<std::size_t> kind, spa_name, template_name, user_email, user_full_name;
};

/// Row `row` of `result`. `kind` names the certificate kind when the result has no "kind" column
/// (a query on one certificate table).
CertificateRow decode_certificate(const db::Result& result, const CertificateColumns& columns,
                                  std::size_t row, std::string_view kind = {});

/// The certificates of every kind, by kind and then id, all columns decoded; at most `per_kind` of
/// each kind when given: the inputs of paths that take a certificate (prepare_certificate_data).
std::vector<CertificateRow> certificates(db::Connection& connection, std::optional<std::size_t> per_kind = {});

}  // namespace certbench::impl_common
