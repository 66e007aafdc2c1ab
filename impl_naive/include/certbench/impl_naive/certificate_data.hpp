#pragma once
#include "certbench/core/certificate_data.hpp"

namespace certbench::impl_naive {

/// prepare_certificate_data() before the review: every call derives the media directory (made
/// absolute and normalized) and the URL prefix from the settings again, then joins the
/// certificate's stored paths to them.
class CertificateData final : public CertificateDataFunctions {
 public:
  explicit CertificateData(StorageSettings settings) : settings_(std::move(settings)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "naive"; }
  [[nodiscard]] CertificateFiles prepare_certificate_data(const CertificateRow& certificate) const override;

 private:
  StorageSettings settings_;
};

}  // namespace certbench::impl_naive
