#include "certbench/core/certificate_kinds.hpp"

#include <array>

namespace certbench {
namespace {
// Sorted by name: listings break generated_at ties by kind name, so this order is the contract.
// Shares are uneven on purpose: the backend's spa-therapist certificates dominate.
constexpr std::array kinds{
    CertificateKind{"esthetician", "esthetician_certificates", "ES", 200},
    CertificateKind{"massage_therapist", "massage_therapist_certificates", "MT", 250},
    CertificateKind{"nail_technician", "nail_technician_certificates", "NT", 150},
    CertificateKind{"spa_therapist", "spa_therapist_certificates", "ST", 300},
    CertificateKind{"yoga_instructor", "yoga_instructor_certificates", "YI", 100},
};

constexpr bool sorted_and_complete() {
  unsigned total = 0;
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    total += kinds[i].share_permille;
    if (i > 0 && !(kinds[i - 1].name < kinds[i].name)) return false;
  }
  return total == 1000;
}
static_assert(sorted_and_complete(), "kinds must be sorted by name and shares must add up to 1000");
}  // namespace

std::span<const CertificateKind> certificate_kinds() noexcept { return kinds; }

}  // namespace certbench
