#include "certbench/impl_common/file_save_paths.hpp"

#include "certbench/impl_common/file_saves.hpp"

namespace certbench {

FileSavePaths::FileSavePaths(std::filesystem::path dir, SaveOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {
  impl::check_save_options(options_);
}

}  // namespace certbench
