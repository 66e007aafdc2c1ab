#include "http_client.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace certbench::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for the socket to be readable until `deadline`; false on timeout.
bool readable(int fd, Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(left)) > 0;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

}  // namespace

HttpConnection::HttpConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("cannot connect to port " + std::to_string(port));
  }
}

HttpConnection::~HttpConnection() { ::close(fd_); }

void HttpConnection::send_raw(const std::string& bytes) {
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("send failed");
    done += static_cast<std::size_t>(n);
  }
}

void HttpConnection::send(const std::string& method, const std::string& target, const std::string& body,
                          const std::string& extra_headers) {
  std::string head = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers;
  if (!body.empty() || method == "POST") head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  send_raw(head + "\r\n" + body);
}

std::optional<HttpReply> HttpConnection::read(double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::optional<std::size_t> header_end, total;
  HttpReply reply;
  for (;;) {
    if (!header_end) {
      if (const auto at = buffered_.find("\r\n\r\n"); at != std::string::npos) {
        header_end = at + 4;
        std::size_t line_end = buffered_.find("\r\n");
        reply.status = std::stoi(buffered_.substr(9, 3));
        for (std::size_t pos = line_end + 2; pos < at;) {
          const auto end = buffered_.find("\r\n", pos);
          const auto line = buffered_.substr(pos, end - pos);
          const auto colon = line.find(':');
          auto value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          reply.headers[lower(line.substr(0, colon))] = value;
          pos = end + 2;
        }
        const auto length = reply.headers.find("content-length");
        total = *header_end + (length == reply.headers.end() ? 0 : std::stoul(length->second));
      }
    }
    if (total && buffered_.size() >= *total) {
      reply.body = buffered_.substr(*header_end, *total - *header_end);
      buffered_.erase(0, *total);
      return reply;
    }
    if (!readable(fd_, deadline)) return std::nullopt;
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return std::nullopt;
    buffered_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<HttpReply> HttpConnection::request(const std::string& method, const std::string& target,
                                                 const std::string& body) {
  send(method, target, body);
  return read();
}

bool HttpConnection::closed_by_server(double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  char chunk[4096];
  while (readable(fd_, deadline)) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return true;
  }
  return false;
}

std::optional<HttpReply> http_request(std::uint16_t port, const std::string& method, const std::string& target,
                                      const std::string& body) {
  HttpConnection c(port);
  return c.request(method, target, body);
}

}  // namespace certbench::testing
