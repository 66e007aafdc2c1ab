#pragma once
#include <string>

#include "certbench/core/certificate_data.hpp"

namespace certbench::impl_optimized {

/// prepare_certificate_data() after the review ("cache path calculations at module level"): the
/// media directory and the URL prefix are derived once, when the object is made (from the
/// settings and working directory of that moment); a call only joins strings.
class CertificateData final : public CertificateDataFunctions {
 public:
  explicit CertificateData(const StorageSettings& settings);
  [[nodiscard]] std::string_view name() const noexcept override { return "precomputed"; }
  [[nodiscard]] CertificateFiles prepare_certificate_data(const CertificateRow& certificate) const override;

 private:
  std::string media_dir_;   // absolute, normalized, ending in '/'
  std::string url_prefix_;  // ending in '/'
};

}  // namespace certbench::impl_optimized
