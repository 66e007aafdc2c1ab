#pragma once
// Test support: a tiny HTTP/1.1 client over a raw POSIX socket, so that tests can send exactly
// the bytes they mean (a lying Content-Length, an oversized header) and keep Beast out of tests.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace certbench::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  /// The header `name` (lower case), "" when absent.
  [[nodiscard]] std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpConnection {
 public:
  /// Connects to 127.0.0.1:`port`; throws std::runtime_error when it cannot.
  explicit HttpConnection(std::uint16_t port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// Sends `bytes` as they are.
  void send_raw(const std::string& bytes);
  /// Sends one request (Content-Length set when there is a body).
  void send(const std::string& method, const std::string& target, const std::string& body = {},
            const std::string& extra_headers = {});
  /// Reads one response (Content-Length framed); nullopt when the connection closed or nothing
  /// complete came within `seconds`.
  std::optional<HttpReply> read(double seconds = 30);
  /// send() then read().
  std::optional<HttpReply> request(const std::string& method, const std::string& target, const std::string& body = {});
  /// True once the server has closed the connection (read returns 0 within `seconds`).
  bool closed_by_server(double seconds = 30);

 private:
  int fd_ = -1;
  std::string buffered_;
};

/// One request on a connection of its own.
std::optional<HttpReply> http_request(std::uint16_t port, const std::string& method, const std::string& target,
                                      const std::string& body = {});

}  // namespace certbench::testing
