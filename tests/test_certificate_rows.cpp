// Timestamps as every implementation decodes them: PostgreSQL's text in, ISO 8601 out.
#include <gtest/gtest.h>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "support/cluster.hpp"

using namespace certbench;

TEST(Timestamps, ParseAndFormat) {
  EXPECT_EQ(impl_common::parse_timestamp_us("1970-01-01 00:00:00+00"), 0);
  EXPECT_EQ(impl_common::parse_timestamp_us("1970-01-01 00:00:01.5+00"), 1'500'000);
  EXPECT_EQ(impl_common::parse_timestamp_us("2023-05-17 13:45:12.123456+00"), 1684331112123456);
  EXPECT_EQ(impl_common::iso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(impl_common::iso8601(1'500'000), "1970-01-01T00:00:01.500000Z");
  EXPECT_EQ(impl_common::iso8601(1684331112123456), "2023-05-17T13:45:12.123456Z");
  EXPECT_EQ(impl_common::iso8601(951782400000000), "2000-02-29T00:00:00Z");  // a leap day
  for (const char* bad : {"", "2023-05-17", "2023-05-17 13:45:12+02", "2023-13-01 00:00:00+00", "yesterday"})
    EXPECT_THROW(impl_common::parse_timestamp_us(bad), QueryError) << bad;
}

// Against PostgreSQL's own conversion, over many instants of the generated range.
TEST(Timestamps, AgreeWithPostgres) {
  db::Connection c(certbench::testing::shared_cluster().dsn());
  c.exec("SET TimeZone TO 'UTC'");
  auto r = c.exec(
      "SELECT t::text, (extract(epoch FROM t) * 1000000)::bigint, "
      "       to_char(t, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
      "FROM (SELECT timestamptz '2019-01-01 00:00:00+00' + g * interval '7 days 3 hours 17 minutes 0.013579 seconds' AS t "
      "      FROM generate_series(0, 400) g) s");
  ASSERT_EQ(r.rows(), 401u);
  for (std::size_t i = 0; i < r.rows(); ++i) {
    const auto us = impl_common::parse_timestamp_us(r.text(i, 0));
    EXPECT_EQ(us, r.int64(i, 1)) << r.text(i, 0);
    std::string expected(r.text(i, 2));
    if (expected.ends_with(".000000Z")) expected = expected.substr(0, expected.size() - 8) + "Z";
    EXPECT_EQ(impl_common::iso8601(us), expected);
  }
}
