#include "certbench/harness/save_run.hpp"

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <memory>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_common/file_records.hpp"
#include "certbench/impl_common/file_save_paths.hpp"
#include "certbench/impl_common/file_saves.hpp"

namespace asio = boost::asio;

namespace certbench::harness {
namespace {

// A certificate whose image a request saves: under the image's own file name, and recorded with
// the path the seeder gave it (images/<kind>/<year>/<file>), so the row's content stays as seeded
// and repeated runs measure the same dataset.
struct Target {
  std::string kind;
  std::int64_t id = 0;
  std::string image_path;
  std::string file_name;
};

std::vector<Target> targets(const std::string& dsn, const std::string& schema) {
  db::Connection c(dsn);
  impl::use_dataset(c, schema);
  std::vector<Target> out;
  for (const auto& kind : certificate_kinds()) {
    auto r = c.exec("SELECT id, image_path FROM " + std::string(kind.table) +
                    " WHERE image_path IS NOT NULL ORDER BY id LIMIT 200");
    for (std::size_t i = 0; i < r.rows(); ++i) {
      std::string path(r.text(i, 1));
      out.push_back({std::string(kind.name), r.int64(i, 0), path, path.substr(path.rfind('/') + 1)});
    }
  }
  return out;
}

// One request: the save (the implementation under test), then the record (the same for all).
// A plain coroutine with reference parameters: GCC 12 mishandles lambdas with captures there.
asio::awaitable<void> save_request(FileSavePaths& saves, impl::FileRecorder& recorder, const Target& t,
                                   const std::string& payload) {
  auto saved = co_await saves.save_base64_image(t.file_name, payload);
  if (saved.bytes == 0) throw EnvironmentError("an empty file was saved for " + t.file_name);
  const bool recorded = co_await recorder.record_image_path(t.kind, t.id, t.image_path);
  if (!recorded) throw EnvironmentError(fmt::format("no certificate {} {} to record", t.kind, t.id));
}

}  // namespace

std::string realistic_png_data_url(std::size_t bytes) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  // IHDR: 1024 x 768, 8-bit RGB (length, type, data, CRC left as zeros: nothing here parses it).
  png += std::string("\0\0\0\x0dIHDR\0\0\x04\0\0\0\x03\0\x08\x02\0\0\0\0\0\0\0", 25);
  std::uint64_t x = 0x9E3779B97F4A7C15ull;  // splitmix64: incompressible, the same every run
  while (png.size() < bytes) {
    x += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (int b = 0; b < 8 && png.size() < bytes; ++b) png.push_back(static_cast<char>((z >> (8 * b)) & 0xFF));
  }
  return "data:image/png;base64," + impl::encode_base64(png);
}

std::vector<SavePoint> measure_saves(const SaveRunSpec& spec, const std::function<void(std::string_view)>& progress) {
  const auto all = targets(spec.dsn, spec.schema);
  if (all.empty()) return {};
  const std::string payload = realistic_png_data_url(spec.image_bytes);
  impl::FileRecorder recorder(spec.dsn, spec.schema, spec.db_sessions);
  std::vector<SavePoint> out;
  for (unsigned c : spec.concurrency) {
    for (const auto& name : spec.impls) {
      if (progress) progress(fmt::format("{} at {} concurrent", name, c));
      asio::io_context io;
      auto saves = make_file_saves(name, io, spec.dir, spec.options);
      LoopLoadSpec load;
      load.concurrency = c;
      load.duration = spec.duration_per_point;
      load.warmup_requests = c;  // every coroutine once: pools started, statements prepared
      auto result = run_loop_load(io, load, [&](std::uint64_t i) {
        return save_request(*saves, recorder, all[i % all.size()], payload);
      });
      if (result.failures > 0)
        throw EnvironmentError(fmt::format("{} of {} saves failed ({} at {} concurrent): {}", result.failures,
                                           result.requests, name, c, result.first_failure));
      out.push_back({name, result});
    }
  }
  return out;
}

}  // namespace certbench::harness
