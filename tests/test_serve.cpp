// certbench serve: every endpoint of every implementation answers the same bytes, which are the
// in-process implementation's answer; keep-alive; the saves write and record.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "certbench/db/connection.hpp"
#include "certbench/fixtures/seeder.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/http/json.hpp"
#include "certbench/http/server.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/impl_common/base64.hpp"
#include "support/cluster.hpp"
#include "support/http_client.hpp"

using namespace certbench;
using certbench::testing::HttpConnection;
using certbench::testing::http_request;
namespace fs = std::filesystem;

namespace {

constexpr const char* kSchema = "serve";

class Serve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dsn() = certbench::testing::shared_cluster().dsn();
    fixtures::SeedOptions o;
    o.spec = {2000, 5, fixtures::IndexSet::best};
    o.schema = kSchema;
    fixtures::seed(dsn(), o);
    dir() = sys::make_unique_dir(fs::temp_directory_path(), "certbench-serve-test-");
    http::ServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.api.dsn = dsn();
    options.api.schema = kSchema;
    options.save_dir = dir();
    server() = std::make_unique<http::Server>(options);
  }
  static void TearDownTestSuite() {
    server().reset();
    fs::remove_all(dir());
  }
  static std::string& dsn() {
    static std::string d;
    return d;
  }
  static fs::path& dir() {
    static fs::path d;
    return d;
  }
  static std::unique_ptr<http::Server>& server() {
    static std::unique_ptr<http::Server> s;
    return s;
  }
  static std::uint16_t port() { return server()->port(); }

  static certbench::testing::HttpReply get(const std::string& target) {
    auto reply = http_request(port(), "GET", target);
    if (!reply) throw std::runtime_error("no answer to " + target);
    return *reply;
  }
};

TEST_F(Serve, HealthAnswersWithoutTheDatabaseAndWithTheStandardHeaders) {
  const auto r = get("/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("content-length"), std::to_string(r.body.size()));
  EXPECT_TRUE(r.headers.at("date").ends_with(" GMT")) << r.headers.at("date");
}

// The Server-Timing header's entries, name to dur.
std::map<std::string, double> timings(const std::string& header) {
  std::map<std::string, double> out;
  std::size_t at = 0;
  while (at < header.size()) {
    const auto end = std::min(header.find(", ", at), header.size());
    const std::string entry = header.substr(at, end - at);
    const auto dur = entry.find("dur=");
    if (dur != std::string::npos) out[entry.substr(0, entry.find(';'))] = std::stod(entry.substr(dur + 4));
    at = end + 2;
  }
  return out;
}

TEST_F(Serve, AListingsServerTimingSaysWhereItsTimeWent) {
  const std::string target = "/naive/admin/certificates?page=1&size=5";
  // A session's first call also prepares its statements: of three requests over the server's two
  // sessions, the one with the fewest statements ran on a session that had prepared them.
  std::map<std::string, double> t;
  for (int i = 0; i < 3; ++i) {
    const auto r = get(target);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto timing = timings(r.headers.at("server-timing"));
    for (const char* part : {"queue", "call", "cpu", "dbcpu", "wait", "json", "stmt", "rt"})
      ASSERT_TRUE(timing.contains(part)) << part << " missing from " << r.headers.at("server-timing");
    if (t.empty() || timing.at("stmt") < t.at("stmt")) t = timing;
  }
  // The same statements and round trips as the same page called in process, statements prepared.
  auto naive = harness::open_listing_session(dsn(), kSchema, "naive");
  const PageRequest page{1, 5, std::nullopt};
  (void)naive.listings->list(Listing::all_certificates_with_users, 0, page);
  const db::CallStats before = naive.db->stats();
  (void)naive.listings->list(Listing::all_certificates_with_users, 0, page);
  const db::CallStats after = naive.db->stats();
  EXPECT_EQ(t.at("stmt"), static_cast<double>(after.statements - before.statements));
  EXPECT_EQ(t.at("rt"), static_cast<double>(after.round_trips - before.round_trips));
  EXPECT_GE(t.at("stmt"), 6);  // the N+1: at least the page, then each of its 5 rows' user
  // The wrapper's CPU is read on the worker's thread: its statements cost some, within the call's.
  EXPECT_GT(t.at("dbcpu"), 0);
  EXPECT_LE(t.at("dbcpu"), t.at("cpu"));
  EXPECT_NEAR(t.at("wait"), t.at("call") - t.at("cpu"), 0.002);
  // naive marks its decoding of the rows: a part of the call's CPU beside the wrapper's.
  ASSERT_TRUE(t.contains("decode"));
  EXPECT_GT(t.at("decode"), 0);
  EXPECT_LE(t.at("decode") + t.at("dbcpu"), t.at("cpu") + 0.002);
  // pipelined marks its merge of the kinds' rows as its decoding.
  const auto pipelined = get("/pipelined/certificates/public?page=1&size=5");
  ASSERT_EQ(pipelined.status, 200) << pipelined.body;
  const auto p = timings(pipelined.headers.at("server-timing"));
  ASSERT_TRUE(p.contains("decode")) << pipelined.headers.at("server-timing");
  EXPECT_LE(p.at("decode"), p.at("cpu") + 0.002);
}

TEST_F(Serve, EveryListingImplementationAnswersTheInProcessBytes) {
  auto reference = harness::open_listing_session(dsn(), kSchema, "limited");
  const auto first = reference.listings->public_certificates({1, 5, std::nullopt});
  ASSERT_FALSE(first.rows.empty());
  const std::int64_t user = first.rows.front().created_by;
  struct Case {
    Listing listing;
    std::string path;
    std::int64_t user;
  };
  const std::vector<Case> cases = {
      {Listing::public_certificates, "/certificates/public", 0},
      {Listing::certificates_endpoint, "/certificates", 0},
      {Listing::all_certificates_with_users, "/admin/certificates", 0},
      {Listing::user_certificates, "/users/" + std::to_string(user) + "/certificates", user},
  };
  std::map<std::string, bool> keyset;
  for (auto impl : harness::listing_implementations())
    keyset[std::string(impl)] = harness::open_listing_session(dsn(), kSchema, impl).listings->serves_keyset();
  for (const auto& c : cases) {
    for (const PageRequest& page : {PageRequest{1, 7, std::nullopt}, PageRequest{3, 4, std::nullopt}}) {
      const auto expected_page = reference.listings->list(c.listing, c.user, page);
      const std::string expected = http::listing_body(c.listing, c.user, page, "", expected_page);
      const std::string query = "?page=" + std::to_string(page.page) + "&size=" + std::to_string(page.size);
      for (auto impl : harness::listing_implementations()) {
        const auto r = get("/" + std::string(impl) + c.path + query);
        ASSERT_EQ(r.status, 200) << impl << c.path << ": " << r.body;
        EXPECT_EQ(r.body, expected) << impl << c.path << query;
        EXPECT_NE(r.headers.at("server-timing").find("stmt;desc=\"statements\";dur="), std::string::npos);
      }
      // The page's cursor: the next rows, the same from every implementation that serves keyset pages.
      const auto cursor = nlohmann::json::parse(expected)["next_cursor"];
      if (cursor.is_null()) continue;
      PageRequest next{1, page.size, expected_page.next};
      const std::string expected_next = http::listing_body(c.listing, c.user, next, cursor.get<std::string>(),
                                                           reference.listings->list(c.listing, c.user, next));
      for (auto impl : harness::listing_implementations()) {
        const auto r = get("/" + std::string(impl) + c.path + "?size=" + std::to_string(page.size) +
                           "&after=" + cursor.get<std::string>());
        const bool serves = keyset.at(std::string(impl));
        EXPECT_EQ(r.status, serves ? 200 : 400) << impl << c.path << ": " << r.body;
        if (serves) {
          EXPECT_EQ(r.body, expected_next) << impl << c.path << " after a cursor";
        }
      }
    }
  }
}

TEST_F(Serve, TemplateVariantsAnswerTheSameBytes) {
  auto naive = harness::make_reference_data("naive", dsn(), kSchema);
  const auto list = naive->public_templates();
  ASSERT_FALSE(list->empty());
  nlohmann::json expected_list = {{"templates", nlohmann::json::array()}};
  for (const auto& t : *list) expected_list["templates"].push_back(http::template_json(t));
  const auto one = list->front();
  for (const std::string variant : {"naive", "in_process"}) {
    for (int round = 0; round < 2; ++round) {  // a cache's miss, then its hit
      const auto all = get("/" + variant + "/templates/public");
      EXPECT_EQ(all.status, 200);
      EXPECT_EQ(all.body, expected_list.dump()) << variant;
      const auto single = get("/" + variant + "/templates/" + std::to_string(one.id));
      EXPECT_EQ(single.status, 200);
      EXPECT_EQ(single.body, http::template_json(one).dump()) << variant;
      EXPECT_EQ(get("/" + variant + "/templates/987654321").status, 404);
    }
  }
}

TEST_F(Serve, KeepAliveServesManyRequestsOnOneConnection) {
  HttpConnection c(port());
  for (int i = 0; i < 5; ++i) {
    const auto r = c.request("GET", i % 2 == 0 ? "/health" : "/limited/certificates/public?size=3");
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->header("connection"), "close");
  }
  c.send("GET", "/health", {}, "Connection: close\r\n");
  ASSERT_TRUE(c.read());
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(Serve, SavesWriteTheFileAndRecordItTheSameWayForEveryImplementation) {
  db::Connection db(dsn());
  impl_common::use_dataset(db, kSchema);
  const std::int64_t id = db.exec("SELECT min(id) FROM spa_therapist_certificates").int64(0, 0);
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(300, 'p');
  const std::string image_body = nlohmann::json{{"data_url", "data:image/png;base64," + impl_common::base64::encode(png)}}.dump();
  const std::string pdf = "%PDF-1.4\n" + std::string(500, 'x');
  const std::string base = "/certificates/spa_therapist/" + std::to_string(id);
  std::optional<std::string> image_answer, file_answer;
  for (auto impl : harness::file_save_implementations()) {
    const auto image = http_request(port(), "POST", "/" + std::string(impl) + base + "/image", image_body);
    ASSERT_TRUE(image);
    if (image->status == 503) continue;  // io_uring unavailable on this machine
    ASSERT_EQ(image->status, 200) << impl << ": " << image->body;
    if (!image_answer) image_answer = image->body;
    EXPECT_EQ(image->body, *image_answer) << impl;
    const auto file = http_request(port(), "POST", "/" + std::string(impl) + base + "/file", pdf);
    ASSERT_TRUE(file);
    ASSERT_EQ(file->status, 200) << impl << ": " << file->body;
    if (!file_answer) file_answer = file->body;
    EXPECT_EQ(file->body, *file_answer) << impl;
    EXPECT_NE(file->headers.at("server-timing").find("save;dur="), std::string::npos);
  }
  const auto image_file = dir() / ("spa_therapist-" + std::to_string(id) + ".png");
  const auto pdf_file = dir() / ("spa_therapist-" + std::to_string(id) + ".pdf");
  EXPECT_EQ(fs::file_size(image_file), png.size());
  EXPECT_EQ(fs::file_size(pdf_file), pdf.size());
  const auto row = db.exec_params("SELECT image_path, file_path FROM spa_therapist_certificates WHERE id = $1",
                                  {std::to_string(id)});
  EXPECT_EQ(row.text(0, 0), image_file.string());
  EXPECT_EQ(row.text(0, 1), pdf_file.string());
}

}  // namespace
