#include "certbench/db/database_target.hpp"

#include <cstdlib>
#include <fmt/format.h>

namespace certbench::db {
namespace {
const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}
constexpr const char* kLibpqVariables[] = {"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"};
}  // namespace

bool server_named(const TargetOptions& options) {
  if (!options.dsn.empty() || env("DATABASE_URL") != nullptr) return true;
  for (const char* var : kLibpqVariables)
    if (env(var) != nullptr) return true;
  return false;
}

DatabaseTarget DatabaseTarget::resolve(const TargetOptions& options,
                                       const std::function<void(std::string_view)>& note) {
  DatabaseTarget t;
  if (!options.dsn.empty()) {
    t.dsn_ = options.dsn;
    t.description_ = "the server named by the given DSN";
    return t;
  }
  if (const char* url = env("DATABASE_URL")) {
    t.dsn_ = url;
    t.description_ = "the server named by DATABASE_URL";
    return t;
  }
  for (const char* var : kLibpqVariables) {
    if (env(var) != nullptr) {
      t.dsn_ = "";
      t.description_ = fmt::format("the server named by ${} (libpq environment)", var);
      return t;
    }
  }
  if (!options.data_dir.empty()) {
    t.cluster_ = EmbeddedPostgres::up(options.data_dir);
    t.dsn_ = t.cluster_->dsn();
    t.description_ = fmt::format("embedded PostgreSQL (persistent, {}) on 127.0.0.1:{}",
                                 t.cluster_->info().data_dir.string(), t.cluster_->info().port);
  } else {
    t.cluster_ = EmbeddedPostgres::start_throwaway(note);
    t.dsn_ = t.cluster_->dsn();
    t.description_ =
        fmt::format("embedded PostgreSQL (throwaway) on 127.0.0.1:{}", t.cluster_->info().port);
  }
  note("using " + t.description_);
  return t;
}

}  // namespace certbench::db
