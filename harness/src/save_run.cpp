#include "certbench/harness/save_run.hpp"

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/harness/thread_load.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_common/file_records.hpp"
#include "certbench/impl_common/file_save_functions.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "certbench/impl_common/base64.hpp"

namespace asio = boost::asio;

namespace certbench::harness {
namespace {

// A certificate whose files a request saves: under the files' own names, and recorded with the
// paths the seeder gave them (images/<kind>/<year>/<file>, certificates/<kind>/…/<file>.pdf), so
// the row's content stays as seeded and repeated runs measure the same dataset.
struct Target {
  std::string kind;
  std::int64_t id = 0;
  std::string image_path, file_path;

  [[nodiscard]] const std::string& recorded(SaveFunction p) const {
    return p == SaveFunction::base64_image ? image_path : file_path;
  }
  [[nodiscard]] std::string file_name(SaveFunction p) const {
    const auto& path = recorded(p);
    return path.substr(path.rfind('/') + 1);
  }
};

std::vector<Target> targets(const std::string& dsn, const std::string& schema) {
  db::Connection c(dsn);
  impl_common::use_dataset(c, schema);
  std::vector<Target> out;
  for (const auto& kind : certificate_kinds()) {
    auto r = c.exec("SELECT id, image_path, file_path FROM " + std::string(kind.table) +
                    " WHERE image_path IS NOT NULL ORDER BY id LIMIT 200");
    for (std::size_t i = 0; i < r.rows(); ++i)
      out.push_back({std::string(kind.name), r.int64(i, 0), std::string(r.text(i, 1)), std::string(r.text(i, 2))});
  }
  return out;
}

// One request: the save (the implementation under test), then the record (the same for all), unless
// there is no recorder (SaveRunSpec::record off). A plain coroutine with reference parameters: GCC 12
// mishandles lambdas with captures there.
asio::awaitable<void> save_request(impl_common::FileSaveFunctions& saves, impl_common::FileRecorder* recorder, SaveFunction function,
                                   const Target& t, const std::string& payload) {
  const auto name = t.file_name(function);
  SavedFile saved;
  if (function == SaveFunction::base64_image)
    saved = co_await saves.save_base64_image(name, payload);
  else
    saved = co_await saves.save_certificate_file(name, payload);
  if (saved.bytes == 0) throw EnvironmentError("an empty file was saved for " + name);
  if (recorder == nullptr) co_return;
  const bool recorded = co_await recorder->record(function, t.kind, t.id, t.recorded(function));
  if (!recorded) throw EnvironmentError(fmt::format("no certificate {} {} to record", t.kind, t.id));
}

// The disk's ceiling at `concurrency`: the atomic write of the saved bytes alone, on that many
// threads (at most spec.max_ceiling_threads), onto the same file names.
LoopLoadResult write_ceiling(const SaveRunSpec& spec, SaveFunction function, const std::vector<Target>& all,
                             const std::string& bytes, unsigned concurrency) {
  std::atomic<std::uint64_t> next{0};
  const unsigned threads = std::clamp(concurrency, 1u, std::max(1u, spec.max_ceiling_threads));
  auto r = run_on_threads(threads, spec.duration_per_repetition(), [&](unsigned) -> ThreadCall {
    auto write = [&] {
      const auto& t = all[next++ % all.size()];
      impl_common::write_file_atomically(spec.dir, t.file_name(function), bytes, spec.options.fsync);
    };
    write();  // warm-up, outside the window
    return write;
  });
  LoopLoadResult out;
  out.concurrency = concurrency;
  out.max_in_flight = threads;
  out.requests = r.calls;
  out.seconds = r.seconds;
  out.requests_per_second = r.calls_per_second;
  out.latency_ms = r.latency_ms;
  out.latencies_ms = std::move(r.latencies_ms);
  out.throughput_samples = {r.calls_per_second};
  return out;
}

// Deterministic incompressible bytes (splitmix64), appended to `out` until it holds `bytes`.
void append_noise(std::string& out, std::size_t bytes) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  while (out.size() < bytes) {
    x += 0x9E3779B97F4A7C15ull;
    std::uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (int b = 0; b < 8 && out.size() < bytes; ++b) out.push_back(static_cast<char>((z >> (8 * b)) & 0xFF));
  }
}

}  // namespace

std::string realistic_png_data_url(std::size_t bytes) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  // IHDR: 1024 x 768, 8-bit RGB (length, type, data, CRC left as zeros: nothing here parses it).
  png += std::string("\0\0\0\x0dIHDR\0\0\x04\0\0\0\x03\0\x08\x02\0\0\0\0\0\0\0", 25);
  append_noise(png, bytes);
  return "data:image/png;base64," + impl_common::base64::encode(png);
}

std::string realistic_pdf(std::size_t bytes) {
  const std::string_view end = "\n%%EOF\n";
  std::string pdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  append_noise(pdf, bytes > end.size() ? bytes - end.size() : 0);
  pdf += end;
  return pdf;
}

std::vector<SavePoint> measure_saves(const SaveRunSpec& spec, const std::function<void(std::string_view)>& progress) {
  const auto all = targets(spec.dsn, spec.schema);
  if (all.empty()) return {};
  const auto recorder =
      spec.record ? std::make_unique<impl_common::FileRecorder>(spec.dsn, spec.schema, spec.db_sessions) : nullptr;
  impl_common::FileRecorder* const recording = recorder.get();
  std::vector<SavePoint> out;
  for (SaveFunction function : spec.functions) {
    const std::string payload = function == SaveFunction::base64_image ? realistic_png_data_url(spec.image_bytes)
                                                               : realistic_pdf(spec.file_bytes);
    const std::string written = function == SaveFunction::base64_image
                                    ? impl_common::decode_base64_image(payload, spec.options).bytes
                                    : payload;
    for (unsigned c : spec.concurrency) {
      // Repetitions interleaved: naive, aiofiles, thread_pool, io_uring, ceiling, naive, …
      std::vector<std::string> names = spec.impls;
      if (spec.write_ceiling) names.emplace_back(kWriteCeiling);
      std::vector<std::vector<LoopLoadResult>> reps(names.size());
      const unsigned repetitions = std::max(1u, spec.repetitions);
      for (unsigned rep = 0; rep < repetitions; ++rep)
        for (std::size_t k = 0; k < names.size(); ++k) {
          const auto& name = names[k];
          if (progress)
            progress(fmt::format("{}, {} at {} concurrent (repetition {} of {})", to_string(function), name, c, rep + 1,
                                 repetitions));
          if (name == kWriteCeiling) {
            reps[k].push_back(write_ceiling(spec, function, all, written, c));
            continue;
          }
          asio::io_context io;
          auto saves = make_file_saves(name, io, spec.dir, spec.options);
          LoopLoadSpec load;
          load.concurrency = c;
          load.duration = spec.duration_per_repetition();
          load.warmup_requests = c;  // every coroutine once: pools started, statements prepared
          load.on_window_start = [recording] {
            if (recording != nullptr) recording->reset_session_usage();
          };
          auto result = run_loop_load(io, load, [&](std::uint64_t i) {
            return save_request(*saves, recording, function, all[i % all.size()], payload);
          });
          if (recording != nullptr) fill_pool_figures(result, recording->session_usage());
          if (result.failures > 0)
            throw EnvironmentError(fmt::format("{} of {} saves failed ({} {} at {} concurrent): {}", result.failures,
                                               result.requests, to_string(function), name, c, result.first_failure));
          reps[k].push_back(std::move(result));
        }
      for (std::size_t k = 0; k < names.size(); ++k) out.push_back({function, names[k], merge_repetitions(reps[k])});
    }
  }
  return out;
}

}  // namespace certbench::harness
