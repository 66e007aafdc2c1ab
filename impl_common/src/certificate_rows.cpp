#include "certbench/impl_common/certificate_rows.hpp"

#include <array>
#include <charconv>
#include <chrono>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"

namespace certbench::impl_common {

void use_dataset(db::Connection& connection, std::string_view schema) {
  connection.exec("SET search_path TO " + db::quote_identifier(schema));
  connection.exec("SET TimeZone TO 'UTC'");
  connection.reset_stats();
}

std::int64_t busiest_owner(db::Connection& connection) {
  std::string all;
  for (const auto& kind : certificate_kinds())
    all += (all.empty() ? "" : " UNION ALL ") + std::string("SELECT created_by FROM ") + std::string(kind.table);
  return connection.exec("SELECT coalesce((SELECT created_by FROM (" + all +
                         ") c GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1), 0)").int64(0, 0);
}

std::int64_t busiest_owner(const std::string& dsn, std::string_view schema) {
  db::Connection c(dsn);
  use_dataset(c, schema);
  return busiest_owner(c);
}

namespace {
int digits(std::string_view text, std::size_t pos, std::size_t count) {
  int value = 0;
  if (pos + count > text.size()) throw QueryError("bad timestamp: " + std::string(text), "");
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + count, value);
  if (ec != std::errc() || end != text.data() + pos + count)
    throw QueryError("bad timestamp: " + std::string(text), "");
  return value;
}
}  // namespace

std::int64_t parse_timestamp_us(std::string_view text) {
  // YYYY-MM-DD HH:MM:SS[.f{1,6}]+00
  using namespace std::chrono;
  const year_month_day date{year{digits(text, 0, 4)}, month{static_cast<unsigned>(digits(text, 5, 2))},
                            day{static_cast<unsigned>(digits(text, 8, 2))}};
  if (!date.ok() || text.size() < 22 || text[4] != '-' || text[10] != ' ')
    throw QueryError("bad timestamp: " + std::string(text), "");
  std::int64_t us = (static_cast<std::int64_t>(sys_days(date).time_since_epoch().count()) * 86400 +
                     digits(text, 11, 2) * 3600 + digits(text, 14, 2) * 60 + digits(text, 17, 2)) *
                    1'000'000;
  std::size_t pos = 19;
  if (text[pos] == '.') {
    std::int64_t scale = 100'000;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, scale /= 10)
      us += (text[pos] - '0') * scale;
  }
  if (text.substr(pos) != "+00") throw QueryError("timestamp not in UTC: " + std::string(text), "");
  return us;
}

std::string iso8601(std::int64_t us) {
  // Written digit by digit: a listing formats every row's timestamp, and a general formatter
  // cost more than the rest of the decoding together (measured with callgrind).
  using namespace std::chrono;
  const sys_time<microseconds> t{microseconds{us}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const auto in_day = (t - day).count();  // microseconds since midnight
  const auto seconds = in_day / 1'000'000, fraction = in_day % 1'000'000;
  char buf[32];
  auto put = [&buf](std::size_t at, std::int64_t value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) buf[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, int(ymd.year()), 4);
  buf[4] = '-';
  put(5, unsigned(ymd.month()), 2);
  buf[7] = '-';
  put(8, unsigned(ymd.day()), 2);
  buf[10] = 'T';
  put(11, seconds / 3600, 2);
  buf[13] = ':';
  put(14, seconds / 60 % 60, 2);
  buf[16] = ':';
  put(17, seconds % 60, 2);
  std::size_t n = 19;
  if (fraction != 0) {
    buf[19] = '.';
    put(20, fraction, 6);
    n = 26;
  }
  buf[n++] = 'Z';
  return std::string(buf, n);
}

namespace {
// The columns a certificate row may have, in CertificateColumns' order: the first ten required.
constexpr std::array<std::string_view, 15> kCertificateColumns{
    "id",        "certificate_number", "generated_at", "recipient_name", "is_public",
    "created_by", "spa_id",            "template_id",  "file_path",      "image_path",
    "kind",      "spa_name",           "template_name", "user_email",    "user_full_name"};
constexpr std::size_t kRequiredColumns = 10;
}  // namespace

CertificateColumns::CertificateColumns(const db::Result& r) {
  // One pass over the result's columns (a decoded page looks its columns up once per result, a
  // per-kind listing five times a call), the first column of a name winning as in Result::column.
  std::array<std::optional<std::size_t>, kCertificateColumns.size()> found;
  for (std::size_t i = 0; i < r.columns(); ++i) {
    const std::string_view name = r.column_name(i);
    for (std::size_t k = 0; k < kCertificateColumns.size(); ++k)
      if (!found[k] && kCertificateColumns[k] == name) {
        found[k] = i;
        break;
      }
  }
  for (std::size_t k = 0; k < kRequiredColumns; ++k)
    if (!found[k]) throw QueryError("the result has no column named " + std::string(kCertificateColumns[k]), "");
  id = *found[0];
  certificate_number = *found[1];
  generated_at = *found[2];
  recipient_name = *found[3];
  is_public = *found[4];
  created_by = *found[5];
  spa_id = *found[6];
  template_id = *found[7];
  file_path = *found[8];
  image_path = *found[9];
  kind = found[10];
  spa_name = found[11];
  template_name = found[12];
  user_email = found[13];
  user_full_name = found[14];
}

CertificateRow decode_certificate(const db::Result& r, const CertificateColumns& c, std::size_t row,
                                  std::string_view kind) {
  auto optional_text = [&](std::optional<std::size_t> column) -> std::optional<std::string> {
    if (!column) return std::nullopt;
    auto v = r.get(row, *column);
    return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
  };
  CertificateRow out;
  out.kind = c.kind ? std::string(r.text(row, *c.kind)) : std::string(kind);
  out.id = r.int64(row, c.id);
  out.certificate_number = std::string(r.text(row, c.certificate_number));
  out.generated_at_us = parse_timestamp_us(r.text(row, c.generated_at));
  out.generated_at = iso8601(out.generated_at_us);
  out.recipient_name = std::string(r.text(row, c.recipient_name));
  out.is_public = r.boolean(row, c.is_public);
  out.created_by = r.int64(row, c.created_by);
  out.spa_id = r.int64(row, c.spa_id);
  out.template_id = r.int64(row, c.template_id);
  out.file_path = std::string(r.text(row, c.file_path));
  out.image_path = optional_text(c.image_path);
  out.spa_name = optional_text(c.spa_name);
  out.template_name = optional_text(c.template_name);
  out.user_email = optional_text(c.user_email);
  out.user_full_name = optional_text(c.user_full_name);
  return out;
}

std::vector<CertificateRow> certificates(db::Connection& connection, std::optional<std::size_t> per_kind) {
  std::vector<CertificateRow> rows;
  for (const auto& kind : certificate_kinds()) {
    auto r = connection.exec("SELECT * FROM " + std::string(kind.table) + " ORDER BY id" +
                             (per_kind ? " LIMIT " + std::to_string(*per_kind) : std::string()));
    const CertificateColumns columns(r);
    for (std::size_t i = 0; i < r.rows(); ++i) rows.push_back(decode_certificate(r, columns, i, kind.name));
  }
  return rows;
}

}  // namespace certbench::impl_common
