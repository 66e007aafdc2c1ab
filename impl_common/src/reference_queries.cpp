#include "certbench/impl_common/reference_queries.hpp"

#include "certbench/core/errors.hpp"
#include "certbench/impl_common/certificate_rows.hpp"

namespace certbench::impl_common {
namespace {

constexpr std::string_view kTemplateColumns =
    "id, name, kind, is_public, is_active, created_by, layout, updated_at";

std::vector<CertificateTemplate> decode_templates(const db::Result& r) {
  std::vector<CertificateTemplate> out;
  out.reserve(r.rows());
  for (std::size_t i = 0; i < r.rows(); ++i)
    out.push_back({r.int64(i, 0), std::string(r.text(i, 1)), std::string(r.text(i, 2)), r.boolean(i, 3),
                   r.boolean(i, 4), r.int64(i, 5), std::string(r.text(i, 6)),
                   iso8601(parse_timestamp_us(r.text(i, 7)))});
  return out;
}

db::Param flag(const std::optional<bool>& b) {
  return b ? db::Param(*b ? "true" : "false") : std::nullopt;
}

}  // namespace

ReferenceQueries::ReferenceQueries(const std::string& dsn, std::string_view schema)
    : dsn_(dsn), schema_(schema), db_(open()) {}

std::unique_ptr<db::Connection> ReferenceQueries::open() const {
  auto c = std::make_unique<db::Connection>(dsn_);
  use_dataset(*c, schema_);
  return c;
}

db::Result ReferenceQueries::exec(const std::string& name, std::string_view sql, const std::vector<db::Param>& params) {
  std::lock_guard lock(mutex_);
  if (!db_) db_ = open();
  try {
    auto r = db_->exec_prepared(name, sql, params);
    round_trips_ = closed_round_trips_ + db_->stats().round_trips;
    return r;
  } catch (const ConnectionError&) {
    closed_round_trips_ += db_->stats().round_trips;
    db_.reset();  // a broken connection is dropped: the next statement opens a new session
    throw;
  }
}

std::optional<CertificateTemplate> ReferenceQueries::template_by_id(std::int64_t id) {
  auto r = exec("template_by_id",
                "SELECT " + std::string(kTemplateColumns) + " FROM certificate_templates WHERE id = $1",
                {std::to_string(id)});
  auto rows = decode_templates(r);
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

std::vector<CertificateTemplate> ReferenceQueries::public_templates() {
  return decode_templates(exec(
      "public_templates",
      "SELECT " + std::string(kTemplateColumns) + " FROM certificate_templates WHERE is_public AND is_active ORDER BY id",
      {}));
}

std::optional<Spa> ReferenceQueries::spa_by_id(std::int64_t id) {
  auto r = exec("spa_by_id", "SELECT id, owner_id, name, city FROM spas WHERE id = $1",
                {std::to_string(id)});
  if (r.rows() == 0) return std::nullopt;
  return Spa{r.int64(0, 0), r.int64(0, 1), std::string(r.text(0, 2)), std::string(r.text(0, 3))};
}

bool ReferenceQueries::update_template(std::int64_t id, const TemplateChange& change) {
  auto r = exec(
      "update_template",
      "UPDATE certificate_templates SET name = coalesce($2, name), is_public = coalesce($3::boolean, is_public), "
      "is_active = coalesce($4::boolean, is_active), layout = coalesce($5::json, layout), updated_at = now() "
      "WHERE id = $1 RETURNING id",
      {std::to_string(id), change.name, flag(change.is_public), flag(change.is_active), change.layout});
  return r.rows() == 1;
}

bool ReferenceQueries::delete_template(std::int64_t id) {
  auto r = exec("delete_template", "DELETE FROM certificate_templates WHERE id = $1 RETURNING id",
                {std::to_string(id)});
  return r.rows() == 1;
}

ReferenceIds reference_ids(db::Connection& connection) {
  ReferenceIds ids;
  auto t = connection.exec("SELECT id FROM certificate_templates ORDER BY id");
  for (std::size_t i = 0; i < t.rows(); ++i) ids.templates.push_back(t.int64(i, 0));
  auto s = connection.exec("SELECT id FROM spas ORDER BY id");
  for (std::size_t i = 0; i < s.rows(); ++i) ids.spas.push_back(s.int64(i, 0));
  return ids;
}

}  // namespace certbench::impl_common
