#pragma once
// The certificate types of the backend under review: one table per type (docs/dataset.md).
#include <span>
#include <string_view>

namespace certbench {

struct CertificateKind {
  std::string_view name;        ///< the `kind` reported in listings, e.g. "spa_therapist"
  std::string_view table;       ///< its table, e.g. "spa_therapist_certificates"
  std::string_view prefix;      ///< certificate-number prefix, e.g. "ST"
  unsigned share_permille;      ///< share of all certificates the seeder gives this kind
};

/// All kinds, sorted by name ascending — the tie-break order of every listing.
std::span<const CertificateKind> certificate_kinds() noexcept;

}  // namespace certbench
