#pragma once
// The statements behind the reference data (templates and spas), shared by every variant: the
// naive one sends them on every call, the cached ones on a miss. Same SQL, same session set-up,
// same decoding, so the variants differ only in when they ask.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certbench/core/reference_data.hpp"
#include "certbench/db/connection.hpp"

namespace certbench::impl_common {

/// A database session of its own on the dataset in `schema`, opened now. Thread-safe: statements
/// from several threads take turns on the one session. A statement that finds the connection
/// broken throws ConnectionError and drops it; the next statement opens a new session.
class ReferenceQueries {
 public:
  ReferenceQueries(const std::string& dsn, std::string_view schema);

  std::optional<CertificateTemplate> template_by_id(std::int64_t id);
  /// Public, active templates, by id.
  std::vector<CertificateTemplate> public_templates();
  std::optional<Spa> spa_by_id(std::int64_t id);

  bool update_template(std::int64_t id, const TemplateChange& change);
  bool delete_template(std::int64_t id);

  /// Statements sent on this session so far (a statement's first call also prepares it). Does not
  /// wait for a statement under way.
  [[nodiscard]] std::uint64_t round_trips() const noexcept { return round_trips_.load(); }

 private:
  // Runs a prepared statement under the session's lock and publishes the round-trip count.
  db::Result exec(const std::string& name, std::string_view sql, const std::vector<db::Param>& params);

  [[nodiscard]] std::unique_ptr<db::Connection> open() const;

  const std::string dsn_, schema_;
  std::mutex mutex_;
  std::unique_ptr<db::Connection> db_;  // null after a broken connection, until the next statement
  std::uint64_t closed_round_trips_ = 0;  // of the sessions dropped
  std::atomic<std::uint64_t> round_trips_{0};
};

/// Every template id and every spa id of the dataset, ascending: the keys lookups are measured on.
struct ReferenceIds {
  std::vector<std::int64_t> templates, spas;
};
ReferenceIds reference_ids(db::Connection& connection);

}  // namespace certbench::impl_common
