#include "certbench/impl_naive/reference_data.hpp"

#include "certbench/impl_common/reference_queries.hpp"

namespace certbench::impl_naive {

ReferenceData::ReferenceData(const std::string& dsn, std::string_view schema)
    : queries_(std::make_unique<impl_common::ReferenceQueries>(dsn, schema)) {}

ReferenceData::~ReferenceData() = default;

TemplateRef ReferenceData::template_by_id(std::int64_t id) {
  auto t = queries_->template_by_id(id);
  return t ? std::make_shared<const CertificateTemplate>(std::move(*t)) : nullptr;
}

TemplateListRef ReferenceData::public_templates() {
  return std::make_shared<const std::vector<CertificateTemplate>>(queries_->public_templates());
}

SpaRef ReferenceData::spa_by_id(std::int64_t id) {
  auto s = queries_->spa_by_id(id);
  return s ? std::make_shared<const Spa>(std::move(*s)) : nullptr;
}

bool ReferenceData::update_template(std::int64_t id, const TemplateChange& change) {
  return queries_->update_template(id, change);
}

bool ReferenceData::delete_template(std::int64_t id) { return queries_->delete_template(id); }

ReferenceCounters ReferenceData::counters() const {
  ReferenceCounters c;
  c.db_round_trips = queries_->round_trips();
  return c;
}

}  // namespace certbench::impl_naive
