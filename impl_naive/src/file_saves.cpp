#include "certbench/impl_naive/file_saves.hpp"

#include "certbench/impl_common/file_saves.hpp"

namespace certbench::impl_naive {

// No co_await before the work: the coroutine runs to its end on the loop thread, blocking it.
boost::asio::awaitable<SavedFile> FileSaves::save_base64_image(std::string name, std::string payload) {
  co_return impl_common::save_base64_image_blocking(directory(), name, payload, options());
}

boost::asio::awaitable<SavedFile> FileSaves::save_certificate_file(std::string name, std::string bytes) {
  co_return impl_common::save_certificate_file_blocking(directory(), name, bytes, options());
}

}  // namespace certbench::impl_naive
