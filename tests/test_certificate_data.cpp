// prepare_certificate_data: both variants give the same paths and URLs for every certificate of
// a dataset, and those are the media root and URL prefix joined to the stored paths.
#include <gtest/gtest.h>

#include <filesystem>

#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "support/cluster.hpp"

using namespace certbench;

namespace {

std::vector<CertificateRow> every_certificate(const std::string& dsn) {
  db::Connection c(dsn);
  impl_common::use_dataset(c, "certdata");
  return impl_common::certificates(c);
}

TEST(CertificateData, BothVariantsAgreeOnEveryCertificateAndSetting) {
  const std::string dsn = certbench::testing::shared_cluster().dsn();
  fixtures::SeedOptions o;
  o.spec = {2000, 3, fixtures::IndexSet::best};
  o.schema = "certdata";
  fixtures::seed(dsn, o);
  const auto rows = every_certificate(dsn);
  ASSERT_EQ(rows.size(), 2000u);
  std::size_t with_image = 0;
  for (const StorageSettings& settings :
       {StorageSettings{}, StorageSettings{"/srv/media/", "https://cdn.example.org", "files"},
        StorageSettings{"./data/../media", "http://localhost:8000/", "/"}, StorageSettings{"/", "https://x.test/", ""}}) {
    auto naive = harness::make_certificate_data("naive", settings);
    auto precomputed = harness::make_certificate_data("precomputed", settings);
    for (const auto& row : rows) {
      const auto a = naive->prepare_certificate_data(row);
      ASSERT_EQ(a, precomputed->prepare_certificate_data(row)) << settings.media_root << " " << row.file_path;
      if (a.image_path) ++with_image;
    }
  }
  EXPECT_GT(with_image, 0u);
}

TEST(CertificateData, PathsAreTheMediaRootAndUrlPrefixJoinedToTheStoredPaths) {
  const auto cwd = std::filesystem::current_path().string();
  for (auto name : harness::certificate_data_implementations()) {
    CertificateRow row;
    row.file_path = "certificates/spa_therapist/2023/05/SPA-2023-0000123.pdf";
    row.image_path = "images/spa_therapist/2023/SPA-2023-0000123.png";
    auto files = harness::make_certificate_data(name, StorageSettings{})->prepare_certificate_data(row);
    EXPECT_EQ(files.file_path, cwd + "/media/certificates/spa_therapist/2023/05/SPA-2023-0000123.pdf") << name;
    EXPECT_EQ(files.file_url, "https://certificates.example.com/media/certificates/spa_therapist/2023/05/SPA-2023-0000123.pdf");
    EXPECT_EQ(files.image_url, "https://certificates.example.com/media/images/spa_therapist/2023/SPA-2023-0000123.png");
    row.image_path.reset();
    EXPECT_FALSE(harness::make_certificate_data(name, {"/m", "https://h", "/u/"})->prepare_certificate_data(row).image_url);
    EXPECT_EQ(harness::make_certificate_data(name, {"/m", "https://h", "/u/"})->prepare_certificate_data(row).file_url,
              "https://h/u/" + row.file_path);
  }
}

}  // namespace
