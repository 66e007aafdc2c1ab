// certbench's open-loop generator (loadgen/open_loop.hpp) and its histogram, against a small
// server of the tests' own that stalls on purpose — never a hook in certbench serve.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <nlohmann/json.hpp>
#include <cmath>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>
#include <utility>
#include <vector>

#include "certbench/core/errors.hpp"
#include "certbench/loadgen/histogram.hpp"
#include "certbench/loadgen/open_loop.hpp"
#include "certbench/loadgen/wrk.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/net.hpp"
#include "certbench/sys/shutdown.hpp"
#include "support/services.hpp"
#include "support/cluster.hpp"

using namespace certbench;

namespace {

// HTTP/1.1 keep-alive on loopback, a thread per connection, answering `{}` to every request. One
// answer at a time (a lock held while answering): when `stall_every` > 0, every stall_every-th
// request holds it for `stall` — the whole server stops, as in a garbage-collection pause.
// `answer` false: requests are read and never answered. `idle_close` > 0: a connection silent that
// long is closed, as servers close idle keep-alive connections.
class StallingServer {
 public:
  StallingServer(unsigned stall_every, std::chrono::milliseconds stall, bool answer = true,
                 std::chrono::milliseconds idle_close = std::chrono::milliseconds(0))
      : stall_every_(stall_every), stall_(stall), answer_(answer), idle_close_(idle_close) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 256) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("cannot listen");
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~StallingServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    {
      std::lock_guard lock(clients_mutex_);
      for (int c : clients_) ::shutdown(c, SHUT_RDWR);
    }
    for (auto& t : threads_) t.join();
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::uint64_t requests() const { return requests_.load(); }
  /// The last request read: its head (request line and headers, without the blank line) and body.
  [[nodiscard]] std::pair<std::string, std::string> last_request() {
    std::lock_guard lock(clients_mutex_);
    return {last_head_, last_body_};
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (stopping_) return;
        continue;
      }
      if (idle_close_.count() > 0) {
        timeval t{0, static_cast<suseconds_t>(idle_close_.count() * 1000)};
        ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &t, sizeof t);
      }
      std::lock_guard lock(clients_mutex_);
      clients_.push_back(c);
      threads_.emplace_back([this, c] { serve(c); });
    }
  }
  void serve(int c) {
    static constexpr std::string_view kAnswer =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    std::string buffer;
    char chunk[4096];
    for (;;) {
      const auto end = buffer.find("\r\n\r\n");
      if (end == std::string::npos) {
        const ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      std::string head = buffer.substr(0, end);
      std::size_t length = 0;  // a POST's body: Content-Length bytes after the head
      std::string lower = head;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
      if (const auto at = lower.find("\r\ncontent-length:"); at != std::string::npos)
        length = std::stoul(lower.substr(at + 17));
      bool whole = true;
      while (buffer.size() < end + 4 + length) {
        const ssize_t n = ::recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) {
          whole = false;
          break;
        }
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      if (!whole) break;
      {
        std::lock_guard lock(clients_mutex_);
        last_head_ = std::move(head);
        last_body_ = buffer.substr(end + 4, length);
      }
      buffer.erase(0, end + 4 + length);
      const auto n = ++requests_;
      if (!answer_) continue;
      std::lock_guard lock(answering_);
      if (stall_every_ > 0 && n % stall_every_ == 0) std::this_thread::sleep_for(stall_);
      if (::send(c, kAnswer.data(), kAnswer.size(), MSG_NOSIGNAL) < 0) break;
    }
    ::close(c);
  }

  unsigned stall_every_;
  std::chrono::milliseconds stall_;
  bool answer_;
  std::chrono::milliseconds idle_close_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::mutex answering_, clients_mutex_;
  std::vector<int> clients_;
  std::string last_head_, last_body_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

loadgen::OpenLoopOptions options_for(const StallingServer& s, double rate, std::chrono::milliseconds duration) {
  loadgen::OpenLoopOptions o;
  o.port = s.port();
  o.target = "/anything";
  o.rate = rate;
  o.duration = duration;
  o.connections = 32;
  return o;
}

}  // namespace

TEST(LogHistogram, QuantilesAreWithinItsBoundedRelativeError) {
  loadgen::LogHistogram h;
  EXPECT_EQ(h.quantile(0.5), 0.0);
  std::vector<double> values;
  for (int i = 1; i <= 10'000; ++i) values.push_back(1e-5 * i);  // 10 µs to 100 ms, evenly
  for (double v : values) h.add(v);
  EXPECT_EQ(h.count(), 10'000u);
  EXPECT_DOUBLE_EQ(h.max(), 0.1);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = values[static_cast<std::size_t>(std::ceil(q * 10'000)) - 1];
    EXPECT_NEAR(h.quantile(q), exact, exact / 128) << q;
  }
  EXPECT_EQ(h.quantile(1.0), 0.1) << "never beyond the largest value recorded";
  // Cumulative counts below a bound: the values under it, to within one bucket.
  EXPECT_NEAR(static_cast<double>(h.count_at_or_below(0.05)), 5'000.0, 5'000.0 / 128 + 1);
  EXPECT_EQ(h.count_at_or_below(1e-6), 0u);
  EXPECT_EQ(h.count_at_or_below(1000), 10'000u);
  loadgen::LogHistogram other;
  other.add(2.0);
  h.merge(other);
  EXPECT_EQ(h.count(), 10'001u);
  EXPECT_DOUBLE_EQ(h.max(), 2.0);
}

TEST(OpenLoop, EveryScheduledRequestIsSentAndAnsweredOrCounted) {
  StallingServer server(0, std::chrono::milliseconds(0));
  auto o = options_for(server, 400, std::chrono::milliseconds(1000));
  o.realtime = true;
  int policy_before = -1;
  sched_param param_before{};
  ASSERT_EQ(pthread_getschedparam(pthread_self(), &policy_before, &param_before), 0);
  std::uint64_t bodies = 0;
  o.check_every = 10;
  o.check = [&bodies](const std::string& body) {
    ++bodies;
    return body == "{}" ? std::string() : "not {}: " + body;
  };
  const auto r = loadgen::run_open_loop(o);
  EXPECT_EQ(r.scheduled, 400u);
  EXPECT_EQ(r.answered + r.dropped + r.errors, r.scheduled) << "each request answered, or counted as not";
  EXPECT_EQ(r.answered, 400u);
  EXPECT_EQ(r.dropped, 0u);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.non_2xx, 0u);
  EXPECT_EQ(r.latency.count(), 400u);
  EXPECT_EQ(r.service.count(), 400u);
  EXPECT_EQ(server.requests(), 400u) << "what the server saw";
  EXPECT_DOUBLE_EQ(r.offered_rate(), 400.0);
  EXPECT_EQ(r.checked, 40u);
  EXPECT_EQ(bodies, 40u);
  EXPECT_EQ(r.wrong, "");
  // The latency from the intended start is never shorter than the service time it contains.
  EXPECT_GE(r.latency.quantile(0.5), r.service.quantile(0.5) * (1 - 1.0 / 64));
  // The thread ran under SCHED_FIFO only where the process may, and is back to its policy after.
  int policy = -1;
  sched_param param{};
  ASSERT_EQ(pthread_getschedparam(pthread_self(), &policy, &param), 0);
  EXPECT_EQ(policy, policy_before) << "the calling thread's policy restored";
  EXPECT_EQ(param.sched_priority, param_before.sched_priority);
  const sched_param fifo{1};
  const bool permitted = policy_before == SCHED_OTHER && pthread_setschedparam(pthread_self(), SCHED_FIFO, &fifo) == 0;
  if (permitted) (void)pthread_setschedparam(pthread_self(), policy_before, &param_before);
  EXPECT_EQ(r.realtime, permitted);
}

TEST(OpenLoop, AWrongBodyIsReported) {
  StallingServer server(0, std::chrono::milliseconds(0));
  auto o = options_for(server, 100, std::chrono::milliseconds(200));
  o.check_every = 1;
  o.check = [](const std::string& body) { return body == "[]" ? std::string() : "expected [], got " + body; };
  const auto r = loadgen::run_open_loop(o);
  EXPECT_EQ(r.wrong, "expected [], got {}");
  EXPECT_EQ(r.checked, r.answered);
}

TEST(OpenLoop, AServerThatNeverAnswersCostsTheDeadlineNotMore) {
  StallingServer server(0, std::chrono::milliseconds(0), /*answer=*/false);
  auto o = options_for(server, 50, std::chrono::milliseconds(400));
  o.deadline = std::chrono::milliseconds(300);
  o.connections = 4;
  const auto started = std::chrono::steady_clock::now();
  const auto r = loadgen::run_open_loop(o);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.scheduled, 20u);
  EXPECT_EQ(r.answered, 0u);
  EXPECT_EQ(r.dropped, 20u) << "each request dropped at its deadline, sent or not";
  EXPECT_EQ(r.answered + r.dropped + r.errors, r.scheduled);
  EXPECT_EQ(r.latency.count(), 0u);
  EXPECT_LT(took, 30.0) << "bounded by the window and the deadline, not by the server";
}

TEST(OpenLoop, AConnectionTheServerClosedWhileIdleIsReopenedNotCountedAsAnError) {
  StallingServer server(0, std::chrono::milliseconds(0), true, std::chrono::milliseconds(50));
  auto o = options_for(server, 40, std::chrono::milliseconds(1000));
  o.connections = 4;  // each connection idles about 100 ms between its requests: longer than 50
  const auto r = loadgen::run_open_loop(o);
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.dropped, 0u);
  EXPECT_EQ(r.answered, 40u);
  EXPECT_EQ(server.requests(), 40u);
}

TEST(OpenLoop, BadRatesAreUsageErrors) {
  StallingServer server(0, std::chrono::milliseconds(0));
  auto o = options_for(server, 0, std::chrono::milliseconds(100));
  EXPECT_THROW(loadgen::run_open_loop(o), UsageError);
  o.rate = 10;
  o.duration = std::chrono::milliseconds(0);
  EXPECT_THROW(loadgen::run_open_loop(o), UsageError);
  o.duration = std::chrono::milliseconds(50);  // 10/s for 50 ms: no request due
  EXPECT_THROW(loadgen::run_open_loop(o), UsageError);
  o.rate = 2e6;
  EXPECT_THROW(loadgen::run_open_loop(o), UsageError);
}

// certbench load-http: the generator from the command line, its exit codes and its JSON.
TEST(LoadHttpCli, ItPrintsTheScheduleAndExitsTwoOnBadInputAndThreeWhenNothingAnswers) {
  StallingServer server(0, std::chrono::milliseconds(0));
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/x?y=1";
  const auto ok = certbench::testing::run_certbench({"load-http", url, "--rate", "200", "--seconds", "0.5", "--json"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const auto j = nlohmann::json::parse(ok.out);
  EXPECT_EQ(j.at("scheduled"), 100);
  EXPECT_EQ(j.at("answered"), 100);
  EXPECT_EQ(j.at("dropped"), 0);
  EXPECT_GT(j.at("latency_ms").at("p50").get<double>(), 0.0);
  EXPECT_EQ(server.requests(), 100u);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"load-http", "https://127.0.0.1/", "--rate", "10"},
        {"load-http", "http://example.com/", "--rate", "10"},
        {"load-http", "http://127.0.0.1:99999/", "--rate", "10"},
        {"load-http", url, "--rate", "0"},
        {"load-http", url, "--rate", "5000000"},
        {"load-http", url, "--rate", "1", "--seconds", "0.5"},
        {"load-http", url}}) {
    const auto r = certbench::testing::run_certbench(bad);
    EXPECT_EQ(r.exit_code, 2) << bad[1] << " " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << "one line and the usage: " << r.err;
  }
  const auto none = certbench::testing::run_certbench({"load-http", "http://127.0.0.1:1/", "--rate", "10", "--seconds", "0.3"});
  EXPECT_EQ(none.exit_code, 3) << none.err;
  EXPECT_NE(none.err.find("nothing answered"), std::string::npos) << none.err;
}

// --post FILE: every request of the schedule a POST of the file's bytes with its Content-Type.
TEST(LoadHttpCli, PostSendsTheFileAsEachRequestsBody) {
  StallingServer server(0, std::chrono::milliseconds(0));
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/upload";
  const auto dir = sys::make_unique_dir(sys::throwaway_parent(), "certbench-test-load-http-post-");
  const auto body = dir / "body.bin";
  std::string bytes(70'000, '\0');  // over one read of the server's, with every byte value
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 256);
  std::ofstream(body, std::ios::binary) << bytes;
  const auto r = certbench::testing::run_certbench({"load-http", url, "--rate", "100", "--seconds", "0.5", "--json",
                                                    "--post", body.string(), "--content-type", "application/x-test"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("answered"), 50);
  EXPECT_EQ(server.requests(), 50u);
  const auto [head, sent] = server.last_request();
  EXPECT_TRUE(head.starts_with("POST /upload HTTP/1.1\r\n")) << head;
  EXPECT_NE(head.find("Content-Type: application/x-test"), std::string::npos) << head;
  EXPECT_EQ(sent, bytes);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"load-http", url, "--rate", "10", "--post", (dir / "missing").string()},
        {"load-http", url, "--rate", "10", "--post", dir.string()},
        {"load-http", url, "--rate", "10", "--content-type", "text/plain"}}) {
    const auto b = certbench::testing::run_certbench(bad);
    EXPECT_EQ(b.exit_code, 2) << bad[4] << " " << b.err;
    EXPECT_EQ(std::count(b.err.begin(), b.err.end(), '\n'), 2) << "one line and the usage: " << b.err;
  }
  EXPECT_EQ(server.requests(), 50u) << "a refused command sent nothing";
  std::filesystem::remove_all(dir);
}

// load-http's figures as certbench's own: results.json and metrics.prom under --out, and the same
// series pushed to a real Pushgateway — the open loop's histogram with every scheduled request in
// its count.
TEST(LoadHttpCli, ItWritesAndPushesTheOpenLoopsSeries) {
  StallingServer server(0, std::chrono::milliseconds(0));
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/x?y=1";
  const auto dir = sys::make_unique_dir(sys::throwaway_parent(), "certbench-test-load-http-");
  sys::ScopedCleanup cleanup([&dir] { std::filesystem::remove_all(dir); });
  const int port = sys::free_loopback_port();
  const std::string gateway_url = "http://127.0.0.1:" + std::to_string(port);
  auto gateway = certbench::testing::start_process({"/usr/bin/prometheus-pushgateway",
                                                    "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                                    "--persistence.file=" + (dir / "pushgateway.data").string()},
                                                   dir / "pushgateway.log");
  ASSERT_TRUE(certbench::testing::eventually(
      [&] { return certbench::testing::http_get(gateway_url + "/metrics").status == 200; }, 30));
  const auto r = certbench::testing::run_certbench({"load-http", url, "--rate", "200", "--seconds", "0.5", "--out",
                                                    (dir / "out").string(), "--pushgateway", gateway_url,
                                                    "--runner", "team-a", "--require-push"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto run = results::load(dir / "out" / "results.json");
  EXPECT_TRUE(run.complete);
  ASSERT_EQ(run.series.size(), 1u);
  const auto& s = run.series.front();
  EXPECT_EQ(s.family, "http");
  EXPECT_EQ(s.mode, "open_loop");
  EXPECT_EQ(s.path, "/x") << "the URL's path, its query left out";
  EXPECT_EQ(s.value(results::Metric::requests), 100.0);
  EXPECT_EQ(s.value(results::Metric::offered_rate), 200.0);
  ASSERT_TRUE(s.latency_buckets);
  EXPECT_EQ(s.latency_buckets->count, 100u);
  EXPECT_EQ(s.latency_buckets->cumulative.back(), 100u) << "every answer within 10 s";
  std::ifstream in(dir / "out" / "metrics.prom");
  const std::string prom((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(prom.find("certbench_http_open_loop_latency_seconds_count{"), std::string::npos) << prom;
  const auto pushed = certbench::testing::http_get(gateway_url + "/metrics").body;
  EXPECT_TRUE(std::regex_search(
      pushed, std::regex(R"(certbench_http_open_loop_latency_seconds_count\{[^}]*path="/x"[^}]*runner="team-a"[^}]*\} 100\b)")))
      << pushed.substr(0, 4000);
  // Nothing answered: exit 3, and what was measured written all the same, marked incomplete.
  const auto none = certbench::testing::run_certbench(
      {"load-http", "http://127.0.0.1:1/", "--rate", "10", "--seconds", "0.3", "--out", (dir / "none").string()});
  EXPECT_EQ(none.exit_code, 3) << none.err;
  const auto failed = results::load(dir / "none" / "results.json");
  EXPECT_FALSE(failed.complete);
  EXPECT_NE(failed.failure.find("nothing answered"), std::string::npos) << failed.failure;
  ASSERT_EQ(failed.series.size(), 1u);
  EXPECT_EQ(failed.series.front().value(results::Metric::failures), 3.0) << "every scheduled request";
}

// The coordinated-omission demonstration (docs/api-load.md): the server stops for 100 ms every 500th
// request. On one connection at 1000 requests/s, each stall holds one request in flight while the
// hundred due during it wait to be sent: timed from the send (what a closed loop times), 1 request
// in 500 saw the stall and the p99 hides it; timed from the schedule, every request due during a
// stall waited for it and the p99 shows it. Debian's wrk 4.1 shows it too: after its run it
// back-fills the requests a stalled connection would have sent at its mean pace (stats_correct,
// HdrHistogram's correction), so its percentiles are not the raw closed-loop timings.
TEST(OpenLoop, ItsP99FromTheScheduleShowsAStallThatTimingsFromTheSendHide) {
  StallingServer server(500, std::chrono::milliseconds(100));
  auto o = options_for(server, 1000, std::chrono::milliseconds(3000));
  o.connections = 1;
  const auto open = loadgen::run_open_loop(o);
  EXPECT_EQ(open.dropped, 0u);
  EXPECT_EQ(open.answered, 3000u);
  EXPECT_GE(open.latency.quantile(0.99), 0.05) << "from the schedule: the p99 shows the stall";
  EXPECT_GE(open.latency.quantile(0.9), 0.01);
  EXPECT_GE(open.service.max(), 0.09) << "the stalled requests themselves";
  EXPECT_LT(open.service.quantile(0.99), 0.05) << "from the send: the p99 hides the stall";

  loadgen::WrkOptions w;
  w.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/anything";
  w.connections = 1;
  w.duration = std::chrono::seconds(2);
  const auto closed = loadgen::run_wrk(w);
  ASSERT_GT(closed.requests, 1'000u) << "enough requests for several stalls";
  EXPECT_EQ(closed.failures(), 0u);
  EXPECT_LT(closed.p50, 0.05);
  EXPECT_GE(closed.p99, 0.05) << "wrk 4.1's back-filled percentiles show it as well";
}
