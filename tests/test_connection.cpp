// The database wrapper's failure paths: errors carry SQLSTATE and one-line messages, and the
// session stays usable after a refused statement.
#include <gtest/gtest.h>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "support/cluster.hpp"

using namespace certbench;

namespace {
std::string sqlstate_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const QueryError& e) {
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    return e.sqlstate();
  }
  return "no error";
}
}  // namespace

TEST(Connection, RefusedPreparedStatementsReportTheirSqlstate) {
  db::Connection c(certbench::testing::shared_cluster().dsn());
  EXPECT_EQ(sqlstate_of([&] { c.exec_prepared("missing_table", "SELECT * FROM no_such_table", {}); }), "42P01");
  EXPECT_EQ(sqlstate_of([&] { c.exec_prepared("divide", "SELECT 1 / $1::int", {std::string("0")}); }), "22012");
  EXPECT_EQ(c.exec_prepared("divide", "SELECT 1 / $1::int", {std::string("1")}).text(0, 0), "1") << "still usable";
  EXPECT_EQ(sqlstate_of([&] { c.exec_params("SELECT $1::int", {std::string("x")}); }), "22P02");
}

TEST(Connection, RefusedCopyReportsAndLeavesTheSessionUsable) {
  db::Connection c(certbench::testing::shared_cluster().dsn());
  c.exec("CREATE TEMP TABLE copy_target (id int, name text)");
  const std::vector<std::string_view> columns{"id", "name"};
  auto copy = [&](std::string data) {
    bool sent = false;
    c.copy_in("copy_target", columns, [&](std::string& chunk) {
      if (sent) return false;
      chunk = data;
      sent = true;
      return true;
    });
  };
  copy("1\tone\n2\ttwo\n");
  EXPECT_EQ(c.exec("SELECT count(*) FROM copy_target").int64(0, 0), 2);
  EXPECT_EQ(sqlstate_of([&] { copy("three\tthree\n"); }), "22P02");
  EXPECT_EQ(sqlstate_of([&] {
    c.copy_in("no_such_table", columns, [](std::string&) { return false; });
  }), "42P01");
  EXPECT_THROW(c.copy_in("copy_target", columns, [](std::string&) -> bool { throw std::runtime_error("source failed"); }),
               std::runtime_error);
  EXPECT_EQ(c.exec("SELECT count(*) FROM copy_target").int64(0, 0), 2) << "still usable, nothing half-loaded";
}

// Every session is opened with certbench's guards against a server that stops answering, unless
// the DSN says otherwise: what it sets itself is kept, in either DSN form.
TEST(Connection, SessionsOpenWithTimeoutsUnlessTheDsnSetsItsOwn) {
  const auto& dsn = certbench::testing::shared_cluster().dsn();
  auto setting = [](const std::string& with, const char* name) {
    db::Connection c(with);
    return std::string(c.exec(std::string("SHOW ") + name).text(0, 0));
  };
  EXPECT_EQ(setting(dsn, "statement_timeout"), "30min");

  // The same server as a URI and as key=value words, each with a statement_timeout of its own.
  db::Connection probe(dsn);
  const auto at = probe.server();
  const std::string port = at.substr(at.rfind(':') + 1);
  const std::string user = std::string(probe.exec("SELECT current_user").text(0, 0));
  const std::string uri = "postgresql://" + user + "@127.0.0.1:" + port + "/postgres?options=-c%20statement_timeout%3D7s";
  const std::string words = "host=127.0.0.1 port=" + port + " user=" + user +
                            " dbname=postgres options='-c search_path=x -c statement_timeout=8s'";
  EXPECT_EQ(setting(uri, "statement_timeout"), "7s");
  EXPECT_EQ(setting(words, "statement_timeout"), "8s");
  EXPECT_EQ(setting(words, "search_path"), "x");
  // Options of the DSN's own, without a timeout, keep theirs beside the guard.
  EXPECT_EQ(setting("host=127.0.0.1 port=" + port + " user=" + user + " dbname=postgres options='-c search_path=y'",
                    "search_path"),
            "y");
  EXPECT_EQ(setting("postgresql://" + user + "@127.0.0.1:" + port + "/postgres?options=-c%20search_path%3Dz",
                    "statement_timeout"),
            "30min");

  // The client side's guards are in the DSN the session opens with, and a DSN's own value wins.
  const auto guarded = db::with_session_guards("postgresql://u:p%3Fw@h:1/d?keepalives_idle=7");
  EXPECT_EQ(guarded, "user='u' password='p?w' dbname='d' host='h' port='1' keepalives_idle='7' keepalives='1' "
                     "keepalives_interval='10' keepalives_count='3' tcp_user_timeout='60000'");
  const auto words_guarded = db::with_session_guards("host=h tcp_user_timeout=5");
  EXPECT_NE(words_guarded.find("keepalives_idle='30'"), std::string::npos) << words_guarded;
  EXPECT_NE(words_guarded.find("tcp_user_timeout='5'"), std::string::npos) << words_guarded;
  EXPECT_EQ(words_guarded.find("tcp_user_timeout='60000'"), std::string::npos) << words_guarded;
  EXPECT_EQ(db::with_session_guards("service=mine"), "service=mine");  // the service file's to say
  EXPECT_EQ(db::with_session_guards("host='unclosed"), "host='unclosed");  // malformed: libpq's to refuse
}

TEST(Connection, ASettingIsPutInPlaceOfTheDsnsOwnOrAddedBesideItsWords) {
  // The profile's sessions are named even where the DSN names them, and a `?` or `&` in a URI's
  // password stays in the password.
  EXPECT_EQ(db::with_settings("postgresql://u:a%3Fb%26c@h/d?application_name=theirs", {{"application_name", "mine"}},
                              db::Setting::always),
            "user='u' password='a?b&c' dbname='d' host='h' application_name='mine'");
  EXPECT_EQ(db::with_settings("host=h", {{"application_name", "it's"}}, db::Setting::always),
            "host='h' application_name='it\\'s'");
  EXPECT_EQ(db::with_settings("", {{"application_name", "mine"}}, db::Setting::always), "application_name='mine'");
  // Where unset: the DSN's own value stays, and a DSN that already says everything comes back as it is.
  EXPECT_EQ(db::with_settings("port=5 host=h", {{"port", "6"}}, db::Setting::where_unset), "port=5 host=h");
  EXPECT_EQ(db::with_settings("port=5", {{"port", "5"}}, db::Setting::always), "port=5");
}

TEST(Connection, MessagesMaskTheWholePasswordOfEitherFormOfDsn) {
  EXPECT_EQ(db::mask_password("postgresql://u:s3cret@h/d"), "postgresql://u:***@h/d");
  EXPECT_EQ(db::mask_password("host=h password=s3cret user=u"), "host=h password=*** user=u");
  // As with_settings writes it: quoted, a quote or backslash in it escaped.
  EXPECT_EQ(db::mask_password(db::with_settings("postgresql://u:ab'c%5Cd@h/d", {{"application_name", "x"}},
                                                db::Setting::always)),
            "user='u' password=*** dbname='d' host='h' application_name='x'");
}
