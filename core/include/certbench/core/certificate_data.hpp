#pragma once
// prepare_certificate_data() of the review (its problem 4, "path calculations repeated on every
// call"): where a certificate's files are on disk and at which URLs they are served.
#include <optional>
#include <string>
#include <string_view>

#include "certbench/core/listing.hpp"

namespace certbench {

/// The configuration the paths come from, as the backend's settings module holds it.
struct StorageSettings {
  std::string media_root = "media";  ///< on disk; a relative root is taken from the working directory
  std::string base_url = "https://certificates.example.com/";
  std::string media_url = "/media/";
};

/// A certificate's files: absolute paths on disk and public URLs. The stored paths
/// (certificates/…/X.pdf, images/…/X.png) are relative to the media root.
struct CertificateFiles {
  std::string file_path;
  std::string file_url;
  std::optional<std::string> image_path;  ///< when the certificate has an image
  std::optional<std::string> image_url;
  friend bool operator==(const CertificateFiles&, const CertificateFiles&) = default;
};

class CertificateDataFunctions {
 public:
  virtual ~CertificateDataFunctions() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;  ///< "naive", "precomputed"
  /// prepare_certificate_data(certificate). Thread-safe.
  [[nodiscard]] virtual CertificateFiles prepare_certificate_data(const CertificateRow& certificate) const = 0;
};

}  // namespace certbench
