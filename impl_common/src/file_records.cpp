#include "certbench/impl_common/file_records.hpp"

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_common/idle_pool.hpp"
#include "certbench/impl_common/offload.hpp"

namespace certbench::impl_common {

struct FileRecorder::Pool {
  boost::asio::thread_pool threads;
  // As many as threads: a job never waits for one. A session whose connection broke is dropped,
  // and the next job opens one in its place.
  IdlePool<std::unique_ptr<db::Connection>> sessions;
  std::string dsn, schema;
  Pool(unsigned n, std::string to, std::string_view in) : threads(n), dsn(std::move(to)), schema(in) {}
  [[nodiscard]] std::unique_ptr<db::Connection> open() const {
    auto c = std::make_unique<db::Connection>(dsn);
    use_dataset(*c, schema);
    return c;
  }
};

FileRecorder::FileRecorder(const std::string& dsn, std::string_view schema, unsigned sessions)
    : pool_(std::make_unique<Pool>(std::max(1u, sessions), dsn, schema)) {
  for (unsigned i = 0; i < std::max(1u, sessions); ++i) pool_->sessions.add(pool_->open());
}

FileRecorder::~FileRecorder() { pool_->threads.join(); }

boost::asio::awaitable<bool> FileRecorder::record(SaveFunction saved, std::string kind, std::int64_t id, std::string path) {
  std::string table;
  for (const auto& k : certificate_kinds())
    if (k.name == kind) table = k.table;
  if (table.empty()) throw InputError("unknown certificate kind '" + kind + "'");
  const std::string column(recorded_column(saved));
  return offload(pool_->threads, [this, table = std::move(table), column, id, path = std::move(path),
                                  asked = IdlePool<int>::Clock::now()] {
    auto session = pool_->sessions.take_or_make([this] { return pool_->open(); }, asked);
    db::Connection* c = session->get();
    const auto before = c->stats().round_trips;
    try {
      const bool updated = c->exec_prepared("record_" + column + "_" + table,
                                            "UPDATE " + table + " SET " + column + " = $1 WHERE id = $2 RETURNING id",
                                            {path, std::to_string(id)})
                               .rows() == 1;
      round_trips_ += c->stats().round_trips - before;
      return updated;
    } catch (const ConnectionError&) {
      session.discard();
      throw;
    }
  });
}

PoolUsage FileRecorder::session_usage() const { return pool_->sessions.usage(); }

void FileRecorder::reset_session_usage() { pool_->sessions.reset_usage(); }

}  // namespace certbench::impl_common
