#include "certbench/impl_common/file_save_functions.hpp"

#include "certbench/impl_common/file_saves.hpp"

namespace certbench::impl_common {

FileSaveFunctions::FileSaveFunctions(std::filesystem::path dir, SaveOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {
  check_save_options(options_);
}

}  // namespace certbench::impl_common
