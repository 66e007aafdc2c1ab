// http_floor: the least an HTTP server can do for a listing page, as a floor for `certbench serve`
// (scripts/bench-http, docs/api-load.md, "Throughput"). One epoll loop; each client connection has its
// own libpq session running one prepared statement without blocking. A request is read up to its
// blank line (GET, no body), the statement sent, and its rows written as a JSON array of objects,
// every column a string (null for NULL), behind a status line, Content-Type and Content-Length.
// No routing, no parsing beyond the blank line, no Date, no timing, no pool: what is left is the
// sockets, libpq and the bytes, which any server for this page pays too.
//
//   http_floor DSN SCHEMA SQL_FILE     prints "listening on http://127.0.0.1:PORT", serves until killed
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "http_floor: %s\n", message.c_str());
  std::exit(3);
}

struct Client {
  int fd = -1;
  PGconn* pg = nullptr;
  std::string in;         // bytes read and not yet taken as requests
  unsigned waiting = 0;   // requests read whose answer is not sent yet
  bool running = false;   // a statement is under way
  bool closed = false;    // the client went away: deleted after this batch of events
  ~Client() {
    if (pg) PQfinish(pg);
    if (fd >= 0) ::close(fd);
  }
};

void append_json_string(std::string& out, const char* s) {
  out += '"';
  for (; *s; ++s) {
    const auto c = static_cast<unsigned char>(*s);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

std::string response(PGresult* r) {
  std::string body = "[";
  const int rows = PQntuples(r), columns = PQnfields(r);
  for (int i = 0; i < rows; ++i) {
    body += i ? ",{" : "{";
    for (int j = 0; j < columns; ++j) {
      if (j) body += ',';
      append_json_string(body, PQfname(r, j));
      body += ':';
      if (PQgetisnull(r, i, j))
        body += "null";
      else
        append_json_string(body, PQgetvalue(r, i, j));
    }
    body += '}';
  }
  body += ']';
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

void send_all(int fd, const std::string& bytes) {
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;  // the client went away: its next read ends it
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: http_floor DSN SCHEMA SQL_FILE\n");
    return 2;
  }
  const std::string dsn = argv[1], schema = argv[2];
  std::ifstream file(argv[3]);
  if (!file) fail(std::string("cannot read ") + argv[3]);
  std::stringstream text;
  text << file.rdbuf();
  std::string sql;  // the file's statement, its comment lines left out
  for (std::string line; std::getline(text, line);)
    if (line.rfind("--", 0) != 0) sql += line + "\n";

  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener, 512) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    fail("cannot listen on 127.0.0.1");
  const int loop = ::epoll_create1(0);
  epoll_event listen_event{EPOLLIN, {.ptr = nullptr}};
  ::epoll_ctl(loop, EPOLL_CTL_ADD, listener, &listen_event);
  std::printf("listening on http://127.0.0.1:%u\n", ntohs(address.sin_port));
  std::fflush(stdout);

  // An event's pointer is the client; its low bit set means the client's database socket.
  auto tag = [](Client* c, bool database) { return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(c) | database); };
  auto send_next = [](Client& c) {
    if (c.running || c.waiting == 0) return;
    if (!PQsendQueryPrepared(c.pg, "page", 0, nullptr, nullptr, nullptr, 0) || PQflush(c.pg) != 0)
      fail(PQerrorMessage(c.pg));
    c.running = true;
  };
  epoll_event events[64];
  std::vector<Client*> closed;  // a batch may hold a closed client's other socket's event too
  for (;;) {
    const int n = ::epoll_wait(loop, events, 64, -1);
    for (Client* c : closed) delete c;
    closed.clear();
    for (int e = 0; e < n; ++e) {
      const auto raw = reinterpret_cast<std::uintptr_t>(events[e].data.ptr);
      if (raw == 0) {  // a new connection, with its session
        const int fd = ::accept(listener, nullptr, nullptr);
        if (fd < 0) fail(std::string("accept: ") + std::strerror(errno));
        auto c = std::make_unique<Client>();
        c->fd = fd;
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->pg = PQconnectdb(dsn.c_str());
        if (PQstatus(c->pg) != CONNECTION_OK) fail(PQerrorMessage(c->pg));
        char* quoted = PQescapeIdentifier(c->pg, schema.c_str(), schema.size());
        PQclear(PQexec(c->pg, ("SET search_path = " + std::string(quoted)).c_str()));
        PQfreemem(quoted);
        PGresult* prepared = PQprepare(c->pg, "page", sql.c_str(), 0, nullptr);
        if (PQresultStatus(prepared) != PGRES_COMMAND_OK) fail(PQerrorMessage(c->pg));
        PQclear(prepared);
        PQsetnonblocking(c->pg, 1);
        epoll_event client_event{EPOLLIN, {.ptr = tag(c.get(), false)}};
        epoll_event database_event{EPOLLIN, {.ptr = tag(c.get(), true)}};
        ::epoll_ctl(loop, EPOLL_CTL_ADD, fd, &client_event);
        ::epoll_ctl(loop, EPOLL_CTL_ADD, PQsocket(c->pg), &database_event);
        c.release();  // owned by its events until the client closes
        continue;
      }
      Client& c = *reinterpret_cast<Client*>(raw & ~std::uintptr_t{1});
      if (c.closed) continue;
      if ((raw & 1) == 0) {
        char buffer[16384];
        const ssize_t got = ::recv(c.fd, buffer, sizeof buffer, 0);
        if (got <= 0) {
          ::epoll_ctl(loop, EPOLL_CTL_DEL, c.fd, nullptr);
          ::epoll_ctl(loop, EPOLL_CTL_DEL, PQsocket(c.pg), nullptr);
          c.closed = true;  // a statement under way is abandoned with its session
          closed.push_back(&c);
          continue;
        }
        c.in.append(buffer, static_cast<std::size_t>(got));
        for (std::size_t end; (end = c.in.find("\r\n\r\n")) != std::string::npos;) {
          c.in.erase(0, end + 4);
          ++c.waiting;
        }
        send_next(c);
      } else {
        if (!PQconsumeInput(c.pg)) fail(PQerrorMessage(c.pg));
        while (c.running && !PQisBusy(c.pg)) {
          PGresult* r = PQgetResult(c.pg);
          if (!r) {  // the statement is over: the next request's may go
            c.running = false;
            --c.waiting;
            send_next(c);
            break;
          }
          if (PQresultStatus(r) != PGRES_TUPLES_OK) fail(PQresultErrorMessage(r));
          send_all(c.fd, response(r));
          PQclear(r);
        }
      }
    }
  }
}
