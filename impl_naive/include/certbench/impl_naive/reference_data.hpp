#pragma once
#include <memory>
#include <string>

#include "certbench/core/reference_data.hpp"

namespace certbench::impl_common {
class ReferenceQueries;
}

namespace certbench::impl_naive {

/// Templates and spas as the backend had them before the review: every get_template_by_id(),
/// get_public_templates() and spa lookup is a database query (problems 5 and 6).
class ReferenceData final : public certbench::ReferenceData {
 public:
  /// Opens a session of its own on the dataset in `schema`.
  ReferenceData(const std::string& dsn, std::string_view schema);
  ~ReferenceData() override;
  [[nodiscard]] std::string_view name() const noexcept override { return "naive"; }

  TemplateRef template_by_id(std::int64_t id) override;
  TemplateListRef public_templates() override;
  SpaRef spa_by_id(std::int64_t id) override;
  bool update_template(std::int64_t id, const TemplateChange& change) override;
  bool delete_template(std::int64_t id) override;
  [[nodiscard]] ReferenceCounters counters() const override;

 private:
  std::unique_ptr<impl_common::ReferenceQueries> queries_;
};

}  // namespace certbench::impl_naive
