#pragma once
#include "certbench/impl_common/file_save_functions.hpp"

namespace certbench::impl_naive {

/// The file saves as the backend had them before the review: an async handler that decodes,
/// checks and writes the file itself, with blocking calls, on the event-loop thread — every other
/// coroutine on the loop waits until the file is on disk.
class FileSaves final : public impl_common::FileSaveFunctions {
 public:
  FileSaves(std::filesystem::path dir, SaveOptions options)
      : impl_common::FileSaveFunctions(std::move(dir), std::move(options)) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "naive"; }

  boost::asio::awaitable<SavedFile> save_base64_image(std::string name, std::string payload) override;
  boost::asio::awaitable<SavedFile> save_certificate_file(std::string name, std::string bytes) override;
};

}  // namespace certbench::impl_naive
