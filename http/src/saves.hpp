#pragma once
// The save endpoints: each file-save implementation on the server's event loop, and the update of
// the certificate's row after the save (as the backend's request does). Internal to certbench_http.
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "certbench/core/file_saves.hpp"
#include "certbench/http/api.hpp"

namespace certbench::impl_common {
class FileSaveFunctions;
class FileRecorder;
}  // namespace certbench::impl_common

namespace certbench::http {

class SaveEndpoints {
 public:
  /// Every file-save implementation saving into `dir` on `io`; rows updated by `sessions`
  /// sessions of their own.
  SaveEndpoints(boost::asio::io_context& io, const std::string& dsn, const std::string& schema,
                std::filesystem::path dir, SaveOptions options, unsigned sessions);
  ~SaveEndpoints();

  /// The save `route` asks for, with the request's `body` (taken). Run it on the io_context's
  /// thread. Never throws: errors are responses; a refused save writes nothing.
  boost::asio::awaitable<Response> save(const SaveRoute& route, std::string& body);
  /// The implementations that can save here (io_uring may not).
  [[nodiscard]] std::vector<std::string> available() const;

 private:
  std::map<std::string, std::unique_ptr<impl_common::FileSaveFunctions>, std::less<>> saves_;
  std::unique_ptr<impl_common::FileRecorder> recorder_;
};

}  // namespace certbench::http
