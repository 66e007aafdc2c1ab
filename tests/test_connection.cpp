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
