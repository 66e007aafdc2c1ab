// certbench serve refuses what it must with the right status and a JSON error, writes nothing for
// a refused save, refuses an oversized body from its headers, reads no row through a forged
// cursor that its listing would not return, and drains on stop.
#include <gtest/gtest.h>

#include <atomic>

#include <filesystem>
#include <csignal>
#include <future>
#include <nlohmann/json.hpp>
#include <limits>
#include <regex>
#include <set>
#include <thread>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/http/cursor.hpp"
#include "certbench/http/server.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/impl_common/base64.hpp"
#include "support/cluster.hpp"
#include "support/http_client.hpp"

using namespace certbench;
using certbench::testing::HttpConnection;
using certbench::testing::http_request;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSchema = "serve";

struct Served {
  fs::path dir = sys::make_unique_dir(fs::temp_directory_path(), "certbench-serve-test-");
  std::unique_ptr<http::Server> server;
  explicit Served(std::uint64_t max_body = 16'000'000, unsigned max_connections = 256,
                  harness::ListingOpener open = harness::open_listing_session) {
    fixtures::SeedOptions o;
    o.spec = {2000, 5, fixtures::IndexSet::best};
    o.schema = kSchema;
    fixtures::seed(certbench::testing::shared_cluster().dsn(), o);
    http::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.max_body = max_body;
    options.max_connections = max_connections;
    options.api.dsn = certbench::testing::shared_cluster().dsn();
    options.api.schema = kSchema;
    options.api.open_session = std::move(open);
    options.save_dir = dir;
    server = std::make_unique<http::Server>(options);
  }
  ~Served() {
    server.reset();
    fs::remove_all(dir);
  }
};

TEST(ServeErrors, EachBadRequestGetsItsStatusAndAJsonErrorAndWritesNothing) {
  Served s;
  const std::string cursor = http::encode_cursor(Listing::public_certificates, 0, {1'600'000'000'000'000, "spa_therapist", 5});
  // Forged: a user's cursor on another user's listing, and one character changed (its tag fails).
  const std::string user8 = http::encode_cursor(Listing::user_certificates, 8, {1'600'000'000'000'000, "spa_therapist", 5});
  std::string altered = cursor;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  const std::string png64 = impl_common::base64::encode(std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, 'p'));
  const std::string jpeg64 = impl_common::base64::encode(std::string("\xff\xd8\xff\xe0", 4) + std::string(64, 'j'));
  const std::string save = "/thread_pool/certificates/spa_therapist/1/image";
  struct Case {
    std::string method, target, body;
    int status;
    std::string allow;
  };
  const std::vector<Case> cases = {
      {"GET", "/naive/certificates/public?page=0", "", 400, ""},
      {"GET", "/naive/certificates/public?page=x", "", 400, ""},
      {"GET", "/naive/certificates/public?size=0", "", 400, ""},
      {"GET", "/limited/certificates/public?size=1001", "", 400, ""},
      {"GET", "/limited/certificates/public?size=%zz", "", 400, ""},
      {"GET", "/limited/users/abc/certificates", "", 400, ""},
      {"GET", "/limited/users/-4/certificates", "", 400, ""},
      {"GET", "/limited/certificates/public?after=not-a-cursor", "", 400, ""},
      {"GET", "/limited/admin/certificates?after=" + cursor, "", 400, ""},  // another listing's cursor
      {"GET", "/naive/certificates/public?after=" + cursor, "", 400, ""},     // no keyset pages there
      {"GET", "/limited/users/9/certificates?after=" + user8, "", 400, ""},
      {"GET", "/limited/certificates/public?after=" + altered, "", 400, ""},
      {"GET", "/naive/templates/x", "", 400, ""},
      {"GET", "/fastest/certificates/public", "", 404, ""},
      {"GET", "/naive/certificates/public/", "", 404, ""},
      {"GET", "/naive/nothing", "", 404, ""},
      {"GET", "/", "", 404, ""},
      {"GET", "/naive/templates/987654321", "", 404, ""},
      {"GET", "/redis/templates/1", "", 404, ""},  // not served without --redis
      {"GET", "/thread_pool/certificates/poetry/1/image", "", 404, ""},
      {"POST", "/naive/certificates/public", "x", 405, "GET"},
      {"DELETE", "/health", "", 405, "GET"},
      {"GET", save, "", 405, "POST"},
      {"POST", save, "not json", 400, ""},
      {"POST", save, R"({"data_url": 5})", 400, ""},
      {"POST", save, R"({"data_url": "data:image/png;base64,!!!!"})", 400, ""},
      {"POST", save, R"({"data_url": "data:text/plain;base64,aGVsbG8="})", 400, ""},
      {"POST", save, R"({"data_url": "data:image/png;base64,)" + jpeg64 + "\"}", 400, ""},  // bytes of another type
      {"POST", save, R"({"data_url": "data:image/tiff;base64,)" + png64 + "\"}", 400, ""},  // a type not allowed
      {"POST", "/thread_pool/certificates/spa_therapist/1/file", "", 400, ""},
      // aiofiles checks and decodes in the request's coroutine, on the loop: refused the same way.
      {"POST", "/aiofiles/certificates/spa_therapist/1/image", R"({"data_url": "data:image/png;base64,!!!!"})", 400, ""},
      {"POST", "/aiofiles/certificates/spa_therapist/1/file", "", 400, ""},
      {"POST", "/naive/certificates/spa_therapist/987654321/image", R"({"data_url": "data:image/png;base64,)" + png64 + "\"}", 404, ""},
      {"POST", "/thread_pool/certificates/spa_therapist/987654321/file", "%PDF-1.4", 404, ""},
  };
  for (const auto& c : cases) {
    const auto r = http_request(s.server->port(), c.method, c.target, c.body);
    ASSERT_TRUE(r) << c.method << " " << c.target;
    EXPECT_EQ(r->status, c.status) << c.method << " " << c.target << ": " << r->body;
    const auto json = nlohmann::json::parse(r->body, nullptr, false);
    EXPECT_TRUE(json.is_object() && json.contains("error") && json["error"].is_string()) << r->body;
    if (!c.allow.empty()) {
      EXPECT_EQ(r->header("allow"), c.allow) << c.target;
    }
  }
  EXPECT_TRUE(fs::is_empty(s.dir)) << "a refused save wrote into " << s.dir;
  EXPECT_EQ(http_request(s.server->port(), "GET", "/health")->status, 200) << "the server survived them all";
}

TEST(ServeErrors, ABodyOverTheLimitIsRefusedFromItsHeaders) {
  Served s(1000);
  HttpConnection c(s.server->port());
  // Promises far more than it sends: only a server that reads the headers first can answer.
  c.send_raw("POST /thread_pool/certificates/spa_therapist/1/file HTTP/1.1\r\nHost: x\r\n"
             "Content-Length: 100000000\r\n\r\n%PDF-1.4");
  const auto r = c.read(20);
  ASSERT_TRUE(r) << "no answer before the body";
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(nlohmann::json::parse(r->body).contains("error"));
  EXPECT_TRUE(fs::is_empty(s.dir));

  // A chunked body gives no length up front: refused when it passes the limit.
  HttpConnection chunked(s.server->port());
  chunked.send_raw("POST /thread_pool/certificates/spa_therapist/1/file HTTP/1.1\r\nHost: x\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n7d0\r\n" + std::string(2000, 'x') + "\r\n");
  const auto rc = chunked.read(20);
  ASSERT_TRUE(rc);
  EXPECT_EQ(rc->status, 413);

  HttpConnection big_header(s.server->port());
  big_header.send_raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: " + std::string(20000, 'h') + "\r\n\r\n");
  const auto rh = big_header.read(20);
  ASSERT_TRUE(rh);
  EXPECT_EQ(rh->status, 431);

  HttpConnection garbage(s.server->port());
  garbage.send_raw("THIS IS NOT HTTP\r\n\r\n");
  const auto rg = garbage.read(20);
  ASSERT_TRUE(rg);
  EXPECT_EQ(rg->status, 400);
}

TEST(ServeErrors, ConnectionsOverTheLimitGet503) {
  Served s(16'000'000, 1);
  HttpConnection first(s.server->port());
  ASSERT_TRUE(first.request("GET", "/health"));  // served, and kept open
  HttpConnection second(s.server->port());
  const auto r = second.read(20);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(second.closed_by_server());
  EXPECT_EQ(first.request("GET", "/health")->status, 200);
}

// A listing that answers only when the test lets it: a request held in flight. `entered` (if
// given) is set by the first call; `calls` (if given) counts them.
class HeldListing final : public ListingFunctions {
 public:
  HeldListing(std::shared_future<void> release, std::promise<void>* entered, std::atomic<int>* calls = nullptr)
      : release_(std::move(release)), entered_(entered), calls_(calls) {}
  [[nodiscard]] std::string_view name() const noexcept override { return "review"; }
  [[nodiscard]] bool serves_keyset() const noexcept override { return false; }

 protected:
  ListingPage hold(const PageRequest& page) {
    if (calls_ != nullptr) ++*calls_;
    if (entered_ != nullptr) std::exchange(entered_, nullptr)->set_value();
    release_.wait();
    return make_page({}, page.size);
  }
  ListingPage do_public_certificates(const PageRequest& p) override { return hold(p); }
  ListingPage do_user_certificates(std::int64_t, const PageRequest& p) override { return hold(p); }
  ListingPage do_all_certificates_with_users(const PageRequest& p) override { return hold(p); }
  ListingPage do_certificates_endpoint(const PageRequest& p) override { return hold(p); }

 private:
  std::shared_future<void> release_;
  std::promise<void>* entered_;
  std::atomic<int>* calls_;
};

TEST(ServeErrors, StopDrainsTheRequestInFlightAndClosesIdleConnections) {
  std::promise<void> release, entered;
  const std::shared_future<void> released = release.get_future().share();
  Served s(16'000'000, 256, harness::replacing("review", [&](harness::ListingSession&) {
             return std::make_unique<HeldListing>(released, &entered);
           }));
  const auto port = s.server->port();
  HttpConnection idle(port);
  ASSERT_TRUE(idle.request("GET", "/health"));  // now idle, kept alive
  HttpConnection busy(port);
  busy.send("GET", "/review/certificates/public?size=3");
  entered.get_future().wait();

  std::thread stopper([&] { s.server->stop(); });
  EXPECT_TRUE(idle.closed_by_server()) << "an idle connection stays open during the drain";
  EXPECT_TRUE(certbench::testing::eventually([&] {
    try {
      HttpConnection late(port);
      return false;
    } catch (const std::runtime_error&) {
      return true;  // refused: no longer accepting
    }
  }, 30));
  release.set_value();
  const auto r = busy.read();
  stopper.join();
  ASSERT_TRUE(r) << "the request in flight was dropped";
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(nlohmann::json::parse(r->body)["rows"].size(), 0u);
}

// The command as users run it: its URL as the one line on stdout, a free port for :0, and on
// SIGTERM an orderly stop with 128 + 15.
TEST(ServeErrors, TheCommandPrintsItsUrlAndExits143OnSigterm) {
  sys::LineProcess serve({CERTBENCH_BINARY, "serve", "--listen", "127.0.0.1:0", "--dsn",
                          certbench::testing::shared_cluster().dsn(), "--schema", kSchema, "--scale", "2000", "--seed",
                          "5", "--threads", "1"});
  const auto line = serve.read_line(std::chrono::seconds(120));
  ASSERT_EQ(line.status, sys::LineProcess::Read::line) << serve.error_output();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(line.text, m, std::regex(R"(certbench serve: listening on http://127\.0\.0\.1:(\d+))")))
      << line.text;
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
  EXPECT_EQ(http_request(port, "GET", "/health")->status, 200);
  EXPECT_EQ(http_request(port, "GET", "/limited/certificates/public?size=2")->status, 200);
  ::kill(serve.pid(), SIGTERM);
  EXPECT_EQ(serve.exit_status(std::chrono::seconds(60)), 143) << serve.error_output();
}

}  // namespace

TEST(ServeErrors, ARequestWhoseClientLeftWhileItWaitedForAWorkerIsNotRun) {
  std::promise<void> release;
  const std::shared_future<void> released = release.get_future().share();
  std::atomic<int> calls{0};
  Served s(16'000'000, 256, harness::replacing("review", [&](harness::ListingSession&) {
             return std::make_unique<HeldListing>(released, nullptr, &calls);
           }));  // two worker threads
  const auto port = s.server->port();
  HttpConnection first(port), second(port);
  first.send("GET", "/review/certificates/public?size=3");
  second.send("GET", "/review/certificates/public?size=3");
  ASSERT_TRUE(certbench::testing::eventually([&] { return calls.load() == 2; }, 30)) << "both workers busy";
  {
    HttpConnection leaving(port);
    leaving.send("GET", "/review/certificates/public?size=3");
    ASSERT_TRUE(certbench::testing::eventually([&] { return s.server->in_flight() == 3; }, 30));
  }  // closed while its request waits for a worker
  release.set_value();
  EXPECT_EQ(first.read()->status, 200);
  EXPECT_EQ(second.read()->status, 200);
  EXPECT_TRUE(certbench::testing::eventually([&] { return s.server->in_flight() == 0; }, 30));
  EXPECT_EQ(calls.load(), 2) << "the request of the client that left was not run";
  // A client still there is served as before.
  HttpConnection staying(port);
  const auto r = staying.request("GET", "/review/certificates/public?size=3");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(calls.load(), 3);
}

// The cursor's key is no secret ($CERTBENCH_CURSOR_KEY or a built-in one), so anyone can sign a
// cursor at any position. It still reads only rows its listing returns: the position only says
// where the keyset scan starts, it reaches SQL as bound parameters beside the listing's own filter,
// and a user's cursor is only taken on that user's listing. A kind that is not one is refused.
TEST(ServeErrors, AForgedCursorReadsOnlyRowsItsListingReturns) {
  Served s;
  const auto port = s.server->port();
  auto page_of = [&](const std::string& target) {
    auto reply = http_request(port, "GET", target);
    EXPECT_TRUE(reply) << target;
    EXPECT_EQ(reply ? reply->status : 0, 200) << target << (reply ? "\n" + reply->body : "");
    return reply && reply->status == 200 ? nlohmann::json::parse(reply->body) : nlohmann::json::object();
  };
  auto keys_of = [](const nlohmann::json& page) {
    std::set<std::string> keys;
    for (const auto& row : page.value("rows", nlohmann::json::array()))
      keys.insert(row.at("kind").get<std::string>() + "/" + std::to_string(row.at("id").get<std::int64_t>()));
    return keys;
  };
  const auto admin = page_of("/limited/admin/certificates?size=1");
  ASSERT_FALSE(admin.at("rows").empty());
  const std::int64_t user = admin.at("rows")[0].at("created_by");
  struct Subject {
    Listing listing;
    std::int64_t user_id;
    std::string target;
  };
  const std::vector<Subject> subjects = {
      {Listing::public_certificates, 0, "/limited/certificates/public"},
      {Listing::user_certificates, user, "/limited/users/" + std::to_string(user) + "/certificates"}};
  const std::int64_t min_us = -62135596800000000, max_us = 253402300799999999;
  for (const auto& subject : subjects) {
    std::set<std::string> listed;  // every row of the listing, page by page without a cursor
    for (int page = 1;; ++page) {
      const auto keys = keys_of(page_of(subject.target + "?size=1000&page=" + std::to_string(page)));
      if (keys.empty()) break;
      listed.insert(keys.begin(), keys.end());
    }
    ASSERT_FALSE(listed.empty()) << subject.target;
    std::size_t read = 0;
    for (const auto& kind : certificate_kinds())
      for (std::int64_t at : {min_us, std::int64_t{0}, std::int64_t{1'600'000'000'000'000}, max_us})
        for (std::int64_t id : {std::int64_t{0}, std::int64_t{1}, std::numeric_limits<std::int64_t>::max()}) {
          const auto cursor = http::encode_cursor(subject.listing, subject.user_id, {at, std::string(kind.name), id});
          const auto page = page_of(subject.target + "?size=1000&after=" + cursor);
          for (const auto& key : keys_of(page)) {
            EXPECT_TRUE(listed.contains(key)) << subject.target << ": a forged cursor read " << key;
            ++read;
          }
        }
    EXPECT_GT(read, 0u) << "no forged cursor read a row: the test checked nothing";
    for (const std::string kind : {"", "x' OR '1'='1", "zzz"}) {
      const auto cursor = http::encode_cursor(subject.listing, subject.user_id, {0, kind, 1});
      const auto reply = http_request(port, "GET", subject.target + "?after=" + cursor);
      ASSERT_TRUE(reply);
      EXPECT_EQ(reply->status, 400) << kind << ": " << reply->body;
    }
  }
  // A user's cursor, validly signed, on another user's listing.
  const auto other = http::encode_cursor(Listing::user_certificates, user + 1, {0, "spa_therapist", 1});
  const auto reply = http_request(port, "GET", "/limited/users/" + std::to_string(user) + "/certificates?after=" + other);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 400);
}
