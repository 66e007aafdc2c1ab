// certbench serve under abuse on loopback, each bounded in count and time: headers that trickle in
// (slowloris), a body that never finishes, oversized headers, pipelined garbage, and 10,000 idle
// connections opened at once by another process. Throughout, a well-formed request gets its answer
// within the server's limits (a 503 while the connections are full), and afterwards the server's
// file descriptors, threads and heap are back to where they were. The heap is counted as the bytes
// allocated and not freed (AddressSanitizer's count: its quarantine keeps freed memory resident, so
// RSS says nothing here); LeakSanitizer also fails the test at exit if anything was never freed.
#include <gtest/gtest.h>

#include <sys/resource.h>
#if defined(__SANITIZE_ADDRESS__)
// The sanitizers' allocator interface (GCC ships no header for it).
extern "C" std::size_t __sanitizer_get_current_allocated_bytes();
#endif

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "certbench/fixtures/seeder.hpp"
#include "certbench/http/server.hpp"
#include "support/cluster.hpp"
#include "support/http_client.hpp"
#include "support/services.hpp"
#include "support/text.hpp"

using namespace certbench;
using certbench::testing::eventually;
using certbench::testing::HttpConnection;
using certbench::testing::http_request;
namespace fs = std::filesystem;

namespace {

std::size_t entries(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) ++n;
  return n;
}

// Bytes allocated and not yet freed, in the whole process: AddressSanitizer's allocator counts
// them exactly; elsewhere (glibc's per-thread caches count as in use) the heap is not checked.
std::optional<std::size_t> heap_in_use() {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  return std::nullopt;
#endif
}

int health(std::uint16_t port) {
  const auto reply = http_request(port, "GET", "/health");
  return reply ? reply->status : 0;
}

}  // namespace

TEST(ServeAbuse, ItKeepsAnsweringWithinItsLimitsAndComesBackToItsBaseline) {
  fixtures::SeedOptions o;
  o.spec = {500, 5, fixtures::IndexSet::best};
  o.schema = "serve_abuse";
  fixtures::seed(certbench::testing::shared_cluster().dsn(), o);
  const auto dir = certbench::testing::temp_dir("certbench-test-serve-abuse-");
  http::ServerOptions options;
  options.port = 0;
  options.threads = 2;
  options.max_connections = 256;
  options.idle_timeout = std::chrono::milliseconds(1000);
  options.api.dsn = certbench::testing::shared_cluster().dsn();
  options.api.schema = "serve_abuse";
  options.save_dir = dir;
  http::Server server(options);
  const auto port = server.port();
  ASSERT_EQ(health(port), 200);  // warm: the first connection's buffers allocated
  const std::size_t fds = entries("/proc/self/fd"), threads = entries("/proc/self/task");
  const auto heap = heap_in_use();

  {  // Headers trickling in, a byte every 100 ms, and a body that never finishes: each connection
     // is closed once the idle timeout has passed since its request began, trickle or not.
    HttpConnection slow(port), unfinished(port);
    unfinished.send_raw("POST /naive/certificates/spa_therapist/1/file HTTP/1.1\r\nHost: x\r\n"
                        "Content-Length: 1000000\r\n\r\n" + std::string(100, 'x'));
    const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(60, 'a');
    const auto started = std::chrono::steady_clock::now();
    bool cut = false;
    for (char c : request) {
      try {
        slow.send_raw(std::string(1, c));
      } catch (const std::exception&) {
        cut = true;  // the server closed it
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      EXPECT_EQ(health(port), 200);  // others are answered meanwhile
      if (std::chrono::steady_clock::now() - started > std::chrono::seconds(3)) break;
    }
    EXPECT_TRUE(cut) << "a trickling request held its connection past the idle timeout";
    EXPECT_TRUE(unfinished.closed_by_server(5)) << "a body that never finished held its connection";
  }
  {  // Headers over the limit (8 KiB): 431, and the connection closed; the next one is answered.
    HttpConnection c(port);
    c.send_raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16 * 1024, 'b') + "\r\n\r\n");
    const auto reply = c.read(10);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 431);
    EXPECT_TRUE(c.closed_by_server(10));
    EXPECT_EQ(health(port), 200);
  }
  {  // Pipelined garbage: the well-formed request before it is answered, then 400 and the close.
    HttpConnection c(port);
    c.send_raw("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE \x01\x02 NOT HTTP\r\n\r\n");
    const auto first = c.read(10);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    const auto second = c.read(10);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 400);
    EXPECT_TRUE(c.closed_by_server(10));
  }
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_max < 10'100)
    GTEST_SKIP() << "the file-descriptor limit is below 10,100: no room for 10,000 connections";
  {  // 10,000 connections opened at once by another process, which then says nothing.
    const auto log = dir / "crowd.log";
    const auto crowd = certbench::testing::start_process(
        {"/usr/bin/python3", "-c",
         "import resource,socket,sys,time\n"
         "hard=resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n"
         "resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))\n"
         "socks=[socket.create_connection(('127.0.0.1', int(sys.argv[1]))) for _ in range(10000)]\n"
         "print('open', len(socks), flush=True)\n"
         "time.sleep(60)\n",
         std::to_string(port)},
        log);
    ASSERT_TRUE(eventually([&] { return certbench::testing::has(certbench::testing::slurp(log), "open 10000"); }, 120))
        << certbench::testing::slurp(log);
    // A new connection is answered at once — 503 while the connections are full — never left
    // hanging.
    const auto full = http_request(port, "GET", "/health");
    ASSERT_TRUE(full) << "no answer while the connections were full";
    EXPECT_TRUE(full->status == 503 || full->status == 200) << full->status;
    // The idle ones are closed after the idle timeout; then requests are served again.
    EXPECT_TRUE(eventually([&] { return health(port) == 200; }, 30));
  }
  EXPECT_TRUE(eventually([&] { return entries("/proc/self/fd") <= fds; }, 30))
      << entries("/proc/self/fd") << " file descriptors open, " << fds << " before";
  EXPECT_EQ(entries("/proc/self/task"), threads);
  EXPECT_EQ(health(port), 200);
  // What 10,000 connections and the abuse before them allocated is freed: the heap is within
  // 1 MiB of where it was (100 bytes a connection kept would be 1 MB).
  if (const auto after = heap_in_use(); heap && after) {
    std::fprintf(stderr, "heap in use: %zu bytes before the abuse, %zu after\n", *heap, *after);
    EXPECT_LT(*after, *heap + (1u << 20)) << "the heap grew by " << (*after - *heap) << " bytes";
  }
  fs::remove_all(dir);
}
