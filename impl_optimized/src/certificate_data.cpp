#include "certbench/impl_optimized/certificate_data.hpp"

#include <filesystem>

namespace certbench::impl_optimized {
namespace {

std::string join(std::string_view prefix, std::string_view path) {
  std::string out;
  out.reserve(prefix.size() + path.size());
  out.append(prefix).append(path);
  return out;
}

}  // namespace

CertificateData::CertificateData(const StorageSettings& settings) {
  // The same derivation as the naive variant's, done once.
  media_dir_ = std::filesystem::absolute(settings.media_root).lexically_normal().string();
  if (media_dir_.empty() || media_dir_.back() != '/') media_dir_ += '/';
  std::string_view base = settings.base_url, media = settings.media_url;
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  while (!media.empty() && media.back() == '/') media.remove_suffix(1);
  while (!media.empty() && media.front() == '/') media.remove_prefix(1);
  url_prefix_ = std::string(base) + "/";
  if (!media.empty()) url_prefix_ += std::string(media) + "/";
}

CertificateFiles CertificateData::prepare_certificate_data(const CertificateRow& certificate) const {
  CertificateFiles files;
  files.file_path = join(media_dir_, certificate.file_path);
  files.file_url = join(url_prefix_, certificate.file_path);
  if (certificate.image_path) {
    files.image_path = join(media_dir_, *certificate.image_path);
    files.image_url = join(url_prefix_, *certificate.image_path);
  }
  return files;
}

}  // namespace certbench::impl_optimized
