#include "saves.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/file_records.hpp"
#include "certbench/impl_common/file_save_functions.hpp"

namespace asio = boost::asio;

namespace certbench::http {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// One save: the save path under test, then the row's update; a certificate that does not exist
// takes its file back, so a 404 leaves nothing behind. Reference parameters and named arguments
// only: GCC 12 mis-copies non-trivial temporaries that live across a co_await.
asio::awaitable<Response> save_and_record(impl_common::FileSaveFunctions& saves, impl_common::FileRecorder& recorder, const SaveRoute& r,
                                          std::string& body) {
  const auto start = Clock::now();
  SavedFile saved;
  if (r.function == SaveFunction::base64_image) {
    auto upload = image_upload(r, body);
    body.clear();
    saved = co_await saves.save_base64_image(upload.name, upload.data_url);
  } else {
    if (body.empty()) throw InputError("the body is empty: send the certificate's file as it is");
    const std::string name = fmt::format("{}-{}.pdf", r.kind, r.id);
    saved = co_await saves.save_certificate_file(name, body);
  }
  const double save_seconds = since(start);
  const auto record_start = Clock::now();
  const std::string recorded_path = saved.path.string();
  const bool recorded = co_await recorder.record(r.function, r.kind, r.id, recorded_path);
  if (!recorded) {
    std::error_code ec;
    std::filesystem::remove(saved.path, ec);
    throw RequestError(404, fmt::format("no certificate {} {}", r.kind, r.id));
  }
  Response response;
  response.body = nlohmann::json{{"kind", r.kind},
                                 {"id", r.id},
                                 {"column", recorded_column(r.function)},
                                 {"file", saved.path.filename().string()},
                                 {"bytes", saved.bytes}}
                      .dump();
  response.server_timing = fmt::format("{}, {}, {}", timing_entry("save", save_seconds),
                                       timing_entry("record", since(record_start)), count_entry("stmt", "statements", 1));
  co_return response;
}

}  // namespace

SaveEndpoints::SaveEndpoints(asio::io_context& io, const std::string& dsn, const std::string& schema,
                             std::filesystem::path dir, SaveOptions options, unsigned sessions)
    : recorder_(std::make_unique<impl_common::FileRecorder>(dsn, schema, std::max(1u, sessions))) {
  for (auto name : harness::file_save_implementations()) {
    try {
      saves_[std::string(name)] = harness::make_file_saves(name, io, dir, options);
    } catch (const EnvironmentError&) {
      // io_uring may be unavailable here (a container's seccomp): that one answers 503.
    }
  }
}

SaveEndpoints::~SaveEndpoints() = default;

std::vector<std::string> SaveEndpoints::available() const {
  std::vector<std::string> out;
  for (const auto& [name, saves] : saves_) out.push_back(name);
  return out;
}

asio::awaitable<Response> SaveEndpoints::save(const SaveRoute& route, std::string& body) {
  Response response;
  try {
    const auto it = saves_.find(route.impl);
    if (it == saves_.end()) throw RequestError(503, "the " + route.impl + " file saves are not available on this machine");
    response = co_await save_and_record(*it->second, *recorder_, route, body);
  } catch (...) {
    response = current_error_response();
  }
  co_return response;
}

}  // namespace certbench::http
