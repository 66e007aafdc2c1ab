// Mixed traffic (HttpRunSpec::uploads, docs/api-load.md): the review's concurrency problem as the
// backend's users meet it. serve runs the file saves on its event loop, as the backend's async
// server does; a save that blocks the loop holds back every other request's bytes. So: listings on
// a fixed schedule (the open-loop generator) while wrk keeps uploads in flight on one save
// implementation, and serve's event-loop lag measured meanwhile.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/harness/save_run.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/loadgen/wrk.hpp"
#include "certbench/results/statistics.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/shutdown.hpp"
#include "run_parts.hpp"

namespace certbench::loadgen::detail {
namespace {

namespace fs = std::filesystem;
using results::Metric;
using results::Series;

// A certificate whose image the uploads replace, and the image_path its row had.
struct Target {
  std::string table, kind;
  std::int64_t id = 0;
  std::optional<std::string> image_path;
};

// Every object of the page that names a certificate: "kind:id".
void certificates_on(const nlohmann::json& j, std::set<std::string>& out) {
  if (j.is_object() && j.contains("kind") && j.contains("id") && j["kind"].is_string() && j["id"].is_number_integer())
    out.insert(j["kind"].get<std::string>() + ":" + std::to_string(j["id"].get<std::int64_t>()));
  if (j.is_structured())
    for (const auto& v : j) certificates_on(v, out);
}

// Up to 64 certificates (the lowest ids, the kinds in turn), none on the listing's checked page:
// its answer must not change while their rows do.
std::vector<Target> upload_targets(const HttpRunSpec& spec, const std::string& expected) {
  std::set<std::string> on_page;
  certificates_on(nlohmann::json::parse(expected), on_page);
  db::Connection c(spec.dsn);
  impl_common::use_dataset(c, spec.schema);
  std::vector<std::vector<Target>> of_kind;
  for (const auto& kind : certificate_kinds()) {
    auto r = c.exec("SELECT id, image_path FROM " + std::string(kind.table) + " ORDER BY id LIMIT 64");
    auto& mine = of_kind.emplace_back();
    for (std::size_t i = 0; i < r.rows(); ++i) {
      const std::int64_t id = r.int64(i, 0);
      if (on_page.count(std::string(kind.name) + ":" + std::to_string(id)) > 0) continue;
      std::optional<std::string> path;
      if (const auto v = r.get(i, 1)) path = std::string(*v);
      mine.push_back({std::string(kind.table), std::string(kind.name), id, std::move(path)});
    }
  }
  std::vector<Target> out;  // the kinds in turn
  for (std::size_t i = 0; out.size() < 64; ++i) {
    bool any = false;
    for (auto& mine : of_kind)
      if (i < mine.size() && out.size() < 64) {
        out.push_back(std::move(mine[i]));
        any = true;
      }
    if (!any) break;
  }
  if (out.empty()) throw EnvironmentError("mixed traffic: the dataset has no certificate to upload an image for");
  return out;
}

// The rows as they were: an upload records the saved file's path on its certificate.
void restore(const HttpRunSpec& spec, const std::vector<Target>& targets) {
  db::Connection c(spec.dsn);
  impl_common::use_dataset(c, spec.schema);
  for (const auto& t : targets)
    c.exec_params("UPDATE " + t.table + " SET image_path = $1 WHERE id = $2", {t.image_path, std::to_string(t.id)});
}

// wrk's request(): each upload to the next target, every request made once (init) from the body
// in the file wrk is given.
std::string upload_lua(const std::string& impl, const std::vector<Target>& targets) {
  std::string names;
  for (const auto& t : targets) names += fmt::format("\"{}/{}\",", t.kind, t.id);
  return fmt::format(R"lua(
local targets = {{ {} }}
local file = assert(io.open(os.getenv("CERTBENCH_UPLOAD_BODY"), "rb"))
local body = file:read("*a")
file:close()
local headers = {{ ["Content-Type"] = "application/json" }}
local requests = {{}}
local n = 0
init = function(args)
  for i, target in ipairs(targets) do
    requests[i] = wrk.format("POST", "/{}/certificates/" .. target .. "/image", headers, body)
  end
end
request = function()
  n = n % #requests + 1
  return requests[n]
end
)lua",
                     names, impl);
}

// From the uploads' start to the listings': wrk has connected and is saving.
constexpr std::chrono::milliseconds kLead{200};

struct Point {
  std::string impl;  // "none": no uploads
  unsigned uploads = 0;
  std::vector<OpenLoopResult> listings;
  std::vector<WrkResult> saves;
  std::vector<double> lag_p99;
};

Series series_of(const Point& p, const HttpRunSpec& spec) {
  Series s;
  s.family = results::family::http;
  s.path = "save_base64_image";
  s.implementation = p.impl;
  s.mode = "mixed";
  s.parameters = {{"scale", static_cast<double>(spec.scale)},
                  {"uploads", static_cast<double>(p.uploads)},
                  {"listing_rate", spec.mixed_rate},
                  {"image_bytes", static_cast<double>(spec.image_bytes)},
                  // The pools the save implementations may use (naive none), as every file-save series.
                  {"pool_threads", static_cast<double>(spec.save.pool_threads)},
                  {"decode_threads", static_cast<double>(spec.save.decode_threads)}};
  add_percentiles(s, p.listings);
  double scheduled = 0, failures = 0;
  for (const auto& w : p.listings) {
    scheduled += static_cast<double>(w.scheduled);
    failures += static_cast<double>(w.failures());
  }
  if (p.lag_p99.size() == p.listings.size()) s.samples[Metric::event_loop_lag_p99] = p.lag_p99;
  double seconds = 0, uploads = 0;  // any failed upload fails the run (measure_mixed)
  for (const auto& w : p.saves) {
    const double good = static_cast<double>(w.good());
    s.samples[Metric::throughput].push_back(w.seconds > 0 ? good / w.seconds : 0);
    seconds += w.seconds;
    uploads += good;
  }
  if (seconds > 0) s.values[Metric::throughput] = uploads / seconds;
  s.values[Metric::requests] = scheduled;  // the listings'
  s.values[Metric::failures] = failures;
  return s;
}

}  // namespace

std::vector<Series> measure_mixed(const HttpRunSpec& spec, http::Server& server, const std::string& wrk,
                                  const std::string& listing_target, const std::string& expected,
                                  const std::function<void(std::string_view)>& say, std::string& wrong) {
  if (spec.uploads.empty()) return {};
  const auto available = server.save_implementations();
  std::vector<std::string> impls;
  for (const auto& name : detail::save_impls_of(spec))
    if (std::find(available.begin(), available.end(), name) != available.end()) impls.push_back(name);
  const auto targets = upload_targets(spec, expected);
  // The rows as they were, once the server has finished every save a load left it (a save still
  // running would record its path after the restore). From the shutdown thread too, on a signal.
  std::atomic<bool> restored{false};
  auto put_back = [&] {
    if (restored.exchange(true)) return;
    try {
      drain(server, spec.drain);
    } catch (const std::exception&) {  // restore what can be restored
    }
    restore(spec, targets);
  };
  sys::ScopedCleanup put_back_on_failure([&] {
    try {
      put_back();
    } catch (const std::exception&) {  // the run is failing already; nothing more to say from here
    }
  });
  const fs::path dir = sys::make_unique_dir(sys::throwaway_parent(), "certbench-upload-");
  sys::ScopedCleanup remove_dir([&dir] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  });
  const fs::path body = dir / "image.json";
  sys::write_file_atomic(body, nlohmann::json{{"data_url", harness::realistic_png_data_url(spec.image_bytes)}}.dump());

  std::vector<Point> points{{"none", 0, {}, {}, {}}};
  for (unsigned c : spec.uploads)
    for (const auto& impl : impls) points.push_back({impl, c, {}, {}, {}});
  auto window = [&](Point& p) {
    std::future<WrkResult> uploads;
    if (p.uploads > 0) {
      WrkOptions w;
      w.wrk = wrk;
      w.url = server.url() + "/";
      w.connections = p.uploads;
      w.threads = 1;
      // The listings' window inside it: wrk counts whole seconds.
      w.duration = std::chrono::ceil<std::chrono::seconds>(kLead + spec.mixed_window + std::chrono::milliseconds(100));
      w.lua = upload_lua(p.impl, targets);
      w.env = {"CERTBENCH_UPLOAD_BODY=" + body.string()};
      uploads = std::async(std::launch::async, [w] { return run_wrk(w); });
      std::this_thread::sleep_for(kLead);  // wrk connected and saving
    }
    const auto o = listing_load(spec, server, listing_target, spec.mixed_rate, spec.mixed_window, expected);
    server.start_lag_probe();
    p.listings.push_back(run_open_loop(o));
    const auto lag = server.stop_lag_probe();
    if (!lag.empty()) p.lag_p99.push_back(results::percentile(lag, 0.99));
    if (uploads.valid()) {
      p.saves.push_back(uploads.get());
      const auto& w = p.saves.back();
      if (w.failures() > 0 && wrong.empty())
        wrong = fmt::format("mixed traffic: {} of {} uploads to {} failed (status 400 or more, or no answer)",
                            w.failures(), w.requests + w.failures() - w.non_2xx, p.impl);
    }
    drain(server, spec.drain);
    if (const auto& w = p.listings.back().wrong; !w.empty() && wrong.empty())
      wrong = listing_target + " under mixed traffic: " + w;
  };
  // Each repetition: every point — the listings alone among them — in a rotating order.
  for (unsigned rep = 0; rep < spec.mixed_repetitions; ++rep)
    for (std::size_t k = 0; k < points.size(); ++k) {
      auto& p = points[(k + rep) % points.size()];
      say(p.uploads == 0 ? fmt::format("mixed traffic: listings at {:.0f} req/s alone, window {} of {}", spec.mixed_rate,
                                       rep + 1, spec.mixed_repetitions)
                         : fmt::format("mixed traffic: listings at {:.0f} req/s beside {} uploads to {}, window {} of {}",
                                       spec.mixed_rate, p.uploads, p.impl, rep + 1, spec.mixed_repetitions));
      window(p);
    }
  try {
    put_back();
  } catch (const std::exception& e) {
    if (wrong.empty()) wrong = std::string("mixed traffic: the uploaded rows were not restored: ") + e.what();
  }
  std::vector<Series> out;
  for (const auto& p : points) out.push_back(series_of(p, spec));
  return out;
}

}  // namespace certbench::loadgen::detail
