#pragma once
// One HTTP request with libcurl, read whole: how certbench checks what a server answers (status,
// headers, body) outside the timed load.
//
// Thread safety: fetch may be called from any thread.
#include <cstdint>
#include <map>
#include <string>

namespace certbench::loadgen {

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names in lower case; the last of repeated ones
  std::string body;
  std::uint64_t header_bytes = 0;              ///< the status line and headers as received
  /// The header `name` (lower case), "" when absent.
  [[nodiscard]] std::string header(const std::string& name) const;
};

/// GET `url`. Throws EnvironmentError when no answer comes (refused, reset, 30 s without one).
Reply fetch(const std::string& url);

}  // namespace certbench::loadgen
