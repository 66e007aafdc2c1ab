#include "certbench/impl_naive/certificate_data.hpp"

#include <filesystem>

namespace certbench::impl_naive {
namespace fs = std::filesystem;

namespace {

std::string_view trim(std::string_view s, bool left) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  while (left && !s.empty() && s.front() == '/') s.remove_prefix(1);
  return s;
}

}  // namespace

CertificateFiles CertificateData::prepare_certificate_data(const CertificateRow& certificate) const {
  // The path calculations the review found repeated on every call.
  const fs::path media_dir = fs::absolute(settings_.media_root).lexically_normal();
  std::string url_prefix = std::string(trim(settings_.base_url, false)) + "/";
  if (auto media = trim(settings_.media_url, true); !media.empty()) url_prefix += std::string(media) + "/";

  CertificateFiles files;
  files.file_path = (media_dir / certificate.file_path).string();
  files.file_url = url_prefix + certificate.file_path;
  if (certificate.image_path) {
    files.image_path = (media_dir / *certificate.image_path).string();
    files.image_url = url_prefix + *certificate.image_path;
  }
  return files;
}

}  // namespace certbench::impl_naive
