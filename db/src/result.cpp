// Result: a statement's answer, read in place from libpq or indexed from libpqxx, and its counting.
#include <charconv>
#include <stdexcept>
#include <string>

#include "certbench/core/errors.hpp"
#include "connection_parts.hpp"

namespace certbench::db {

Result::Result() : impl_(std::make_unique<Impl>()) {}
Result::~Result() = default;
Result::Result(Result&&) noexcept = default;
Result& Result::operator=(Result&&) noexcept = default;

std::size_t Result::rows() const noexcept { return impl_->rows; }
std::size_t Result::columns() const noexcept { return impl_->columns; }

std::string_view Result::column_name(std::size_t column) const {
  if (column >= impl_->columns) throw std::out_of_range("Result::column_name: no such column");
  return impl_->raw != nullptr ? std::string_view(PQfname(impl_->raw, static_cast<int>(column)))
                               : impl_->column_names[column];
}

std::size_t Result::column(std::string_view name) const {
  for (std::size_t i = 0; i < impl_->columns; ++i)
    if (column_name(i) == name) return i;
  throw QueryError("the result has no column named " + std::string(name), "");
}

std::optional<std::string_view> Result::get(std::size_t row, std::size_t column) const {
  if (row >= impl_->rows || column >= impl_->columns) throw std::out_of_range("Result::get: no such field");
  if (const PGresult* r = impl_->raw) {
    const int i = static_cast<int>(row), c = static_cast<int>(column);
    if (PQgetisnull(r, i, c)) return std::nullopt;
    return std::string_view(PQgetvalue(r, i, c), static_cast<std::size_t>(PQgetlength(r, i, c)));
  }
  return impl_->fields[row * impl_->columns + column];
}

std::string_view Result::text(std::size_t row, std::size_t column) const {
  auto v = get(row, column);
  if (!v) throw QueryError("unexpected NULL in column " + std::to_string(column), "");
  return *v;
}

std::int64_t Result::int64(std::size_t row, std::size_t column) const {
  const auto t = text(row, column);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size())
    throw QueryError("not an integer: '" + std::string(t) + "'", "");
  return value;
}

bool Result::boolean(std::size_t row, std::size_t column) const {
  return text(row, column) == "t";
}

namespace detail {

void index(CallStats& stats, Result::Impl& impl) {
  if (impl.raw != nullptr) {
    const PGresult* r = impl.raw;
    const int rows = PQntuples(r), columns = PQnfields(r);
    impl.rows = static_cast<std::size_t>(rows);
    impl.columns = static_cast<std::size_t>(columns);
    std::uint64_t bytes = 0;
    for (int i = 0; i < rows; ++i)
      for (int c = 0; c < columns; ++c) bytes += static_cast<std::uint64_t>(PQgetlength(r, i, c));
    stats.bytes_received += bytes;
  } else {
    const pqxx::result& r = *impl.result;
    impl.rows = r.size();
    impl.columns = static_cast<std::size_t>(r.columns());
    for (pqxx::row::size_type c = 0; c < r.columns(); ++c) impl.column_names.emplace_back(r.column_name(c));
    impl.fields.reserve(impl.rows * impl.columns);
    for (const auto& row : r)
      for (const auto& field : row) {
        stats.bytes_received += field.size();
        impl.fields.push_back(field.is_null() ? std::nullopt
                                              : std::optional<std::string_view>(std::string_view(field.c_str(), field.size())));
      }
  }
  stats.rows_received += impl.rows;
}

}  // namespace detail

}  // namespace certbench::db
