#include "certbench/reports/prometheus.hpp"

#include <prometheus/metric_family.h>
#include <curl/curl.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <cstdlib>
#include <ctime>
#include <functional>
#include <memory>
#include <limits>
#include <initializer_list>
#include <optional>
#include <map>
#include <sstream>
#include <thread>

#include "certbench/core/errors.hpp"

#include "certbench/results/anatomy.hpp"
#include "certbench/results/statistics.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"

namespace certbench::reports {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using results::Metric;
using results::Series;

using Labels = std::vector<ClientMetric::Label>;

// The families, made on first use in a fixed order (the exposition is stable run to run).
class Families {
 public:
  MetricFamily& get(const std::string& name, MetricType type, const std::string& help) {
    auto it = index_.find(name);
    if (it != index_.end()) return families_[it->second];
    index_[name] = families_.size();
    families_.push_back({name, help, type, {}});
    return families_.back();
  }
  void gauge(const std::string& name, const std::string& help, Labels labels, double value) {
    ClientMetric m;
    m.label = std::move(labels);
    m.gauge.value = value;
    get(name, MetricType::Gauge, help).metric.push_back(std::move(m));
  }
  void summary(const std::string& name, const std::string& help, Labels labels, const std::vector<double>& samples) {
    ClientMetric m;
    m.label = std::move(labels);
    m.summary.sample_count = samples.size();
    for (double v : samples) m.summary.sample_sum += v;
    for (double q : {0.5, 0.95, 0.99}) m.summary.quantile.push_back({q, results::percentile(samples, q)});
    get(name, MetricType::Summary, help).metric.push_back(std::move(m));
  }
  void histogram(const std::string& name, const std::string& help, Labels labels, const results::Buckets& b) {
    ClientMetric m;
    m.label = std::move(labels);
    m.histogram.sample_count = b.count;
    m.histogram.sample_sum = b.sum;
    for (std::size_t i = 0; i < b.upper_bounds.size(); ++i)
      m.histogram.bucket.push_back({b.cumulative[i], b.upper_bounds[i]});  // +Inf: the serializer's, from the count
    get(name, MetricType::Histogram, help).metric.push_back(std::move(m));
  }
  /// One gauge family with a series per part that is there (label "part"): a stacked panel adds
  /// them up.
  void parts(const std::string& name, const std::string& help, const Labels& labels,
             std::initializer_list<std::pair<const char*, std::optional<double>>> values) {
    for (const auto& [part, value] : values) {
      if (!value) continue;
      auto with_part = labels;
      with_part.push_back({"part", part});
      gauge(name, help, std::move(with_part), *value);
    }
  }
  [[nodiscard]] const std::vector<MetricFamily>& all() const { return families_; }

 private:
  std::vector<MetricFamily> families_;
  std::map<std::string, std::size_t> index_;
};

Labels series_labels(const std::string& runner, const Series& s) {
  Labels l{{"runner", runner}, {"family", s.family}, {"path", s.path}, {"impl", s.implementation}};
  if (!s.mode.empty()) l.push_back({"mode", s.mode});
  // Every parameter that tells two series of one path and implementation apart (a series' key is
  // unique in a run, and so is its label set). The sizes of saved files and the page size are
  // fixed within a run and left out.
  for (const char* p : {"scale", "concurrency", "connections", "capacity_share", "uploads", "page", "keyset", "threads", "sessions"})
    if (auto v = s.parameter(p)) l.push_back({p, results::number_text(*v)});
  return l;
}

double epoch_seconds(const std::string& utc) {
  std::tm tm{};
  if (utc.size() < 19 || std::sscanf(utc.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<double>(timegm(&tm));
}

std::string base64url(const std::string& text) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    bits = (bits << 8) | static_cast<unsigned char>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 0x3F];
    }
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 0x3F];
  while (out.size() % 4 != 0) out += '=';
  return out.empty() ? "=" : out;  // "=": the Pushgateway's form of an empty value
}

Families families_of(const results::Run& run, const std::string& runner, std::optional<double> last_success) {
  Families f;
  const auto& e = run.environment;
  f.gauge("certbench_run_info", "What the run measured with: certbench, PostgreSQL, the dataset (value always 1)",
          {{"runner", runner}, {"version", e.certbench_version}, {"commit", e.git_dirty ? e.git_commit + "-dirty" : e.git_commit},
           {"postgres_version", e.postgres_version}, {"dataset", e.dataset_fingerprint}},
          1);
  f.gauge("certbench_run_complete", "1 when every planned scenario finished, 0 when the run stopped early",
          {{"runner", runner}}, run.complete ? 1 : 0);
  const double started = epoch_seconds(e.started_utc), ended = epoch_seconds(e.ended_utc);
  if (started > 0 && ended >= started)
    f.gauge("certbench_run_duration_seconds", "Wall time of the run", {{"runner", runner}}, ended - started);
  if (run.complete && ended > 0) last_success = ended;
  if (last_success)
    f.gauge("certbench_run_last_success_timestamp_seconds", "When the last complete run ended (Unix time)",
            {{"runner", runner}}, *last_success);

  for (const auto& s : run.series) {
    const auto labels = series_labels(runner, s);
    if (const auto* v = s.samples_of(Metric::latency); v != nullptr && !v->empty() &&
                                                       s.family != results::family::benchmark)
      f.summary("certbench_latency_seconds",
                "Time per call (per request on the event loop; per call of a batch for nanosecond paths)", labels, *v);
    if (const auto* v = s.samples_of(Metric::event_loop_lag); v != nullptr && !v->empty())
      f.summary("certbench_event_loop_lag_seconds", "How late a 1 ms timer fired on the event loop", labels, *v);
    if (const auto* v = s.samples_of(Metric::pool_wait);
        v != nullptr && !v->empty() && s.family != results::family::http)  // http: a window's mean, below
      f.summary("certbench_pool_wait_seconds", "How long a request waited for a database session of the driver's pool",
                labels, *v);
    if (const auto* v = s.samples_of(Metric::peak_heap); v != nullptr && !v->empty())
      f.gauge("certbench_peak_heap_bytes", "Peak heap one call held, the median over calls (jemalloc)", labels,
              results::percentile(*v, 0.5));
    if (const auto a = results::anatomy_of(s)) {
      f.parts("certbench_call_anatomy_seconds",
              "Where the median call's time went: client_cpu, planning and execution (the server's), waiting",
              labels,
              {{"client_cpu", a->client_cpu},
               {"planning", a->planning},
               {"execution", a->execution},
               {"waiting", a->waiting}});
      if (a->decode_cpu)  // within client_cpu, so not one of the stacked parts
        f.gauge("certbench_call_decode_seconds",
                "The median call's CPU spent decoding result rows, within its client_cpu part (where the "
                "implementation marks its decoding)",
                labels, *a->decode_cpu);
    }
    // An HTTP load's response times: the median over its windows of each window's percentile, as wrk
    // reports them (closed loop).
    // (Not a summary's "quantile" label: these are the median over windows of each window's figure.)
    for (const auto& [metric, percentile] : {std::pair{Metric::latency_p50, "50"}, std::pair{Metric::latency_p90, "90"},
                                             std::pair{Metric::latency_p99, "99"}, std::pair{Metric::latency_p999, "99.9"}})
      if (const auto* v = s.samples_of(metric); v != nullptr && !v->empty()) {
        auto with_percentile = labels;
        with_percentile.push_back({"percentile", percentile});
        f.gauge("certbench_http_response_seconds",
                "An HTTP endpoint's response time at a percentile, the median over the load's windows (mode "
                "closed_loop: wrk's; open_loop: from each request's intended start)",
                with_percentile, results::percentile(*v, 0.5));
      }
    // The rate an open loop offered, where it ran (a share not offered keeps its would-be rate).
    if (const auto rate = s.value(Metric::offered_rate); rate && s.samples_of(Metric::throughput) != nullptr)
      f.gauge("certbench_http_offered_requests_per_second", "Requests per second an open-loop load's schedule offered",
              labels, *rate);
    if (const auto* v = s.samples_of(Metric::event_loop_lag_p99);
        v != nullptr && !v->empty() && s.family == results::family::http)
      f.gauge("certbench_http_event_loop_lag_p99_seconds",
              "serve's event-loop lag p99 under mixed traffic (a 1 ms timer on its loop), the median over windows",
              labels, results::percentile(*v, 0.5));
    if (const auto a = results::request_anatomy_of(s)) {
      f.parts("certbench_http_request_anatomy_seconds",
              "Where an HTTP request's time went in the server (the closed loop's median window, its mean request): "
              "queue, client_cpu, planning and execution (the database's), waiting",
              labels,
              {{"queue", a->queue},
               {"client_cpu", a->client_cpu},
               {"planning", a->planning},
               {"execution", a->execution},
               {"waiting", a->waiting}});
      if (a->resident_bytes)
        f.gauge("certbench_http_resident_bytes", "Bytes resident in the process serving the API after that window",
                labels, *a->resident_bytes);
    }
    if (const auto heap = s.value(Metric::peak_heap); heap && s.family == results::family::http)
      f.gauge("certbench_http_request_peak_heap_bytes",
              "Peak heap one request held in the server, metered exactly on a request alone (jemalloc)", labels, *heap);
    if (const auto& b = s.latency_buckets)
      f.histogram("certbench_http_open_loop_latency_seconds",
                  "An HTTP endpoint's response time under an open-loop load, from each request's intended start; "
                  "requests without a 2xx answer (dropped, failed connections, other statuses) only in +Inf and the "
                  "count, not in the sum",
                  labels, *b);
    if (const auto* v = s.samples_of(Metric::insert_rate); v != nullptr && !v->empty())
      f.gauge("certbench_index_insert_rows_per_second",
              "Rows inserted per second into a certificate table under an index set, the median over batches", labels,
              results::percentile(*v, 0.5));
    struct Value {
      Metric metric;
      const char* name;
      const char* help;
    };
    for (const auto& [metric, name, help] : {
             Value{Metric::round_trips, "certbench_round_trips_per_call", "Database round trips per call (waits for the server)"},
             Value{Metric::statements, "certbench_statements_per_call", "Database statements executed per call, counted by the client"},
             Value{Metric::rows_received, "certbench_rows_per_call", "Result rows received per call"},
             Value{Metric::bytes_received, "certbench_received_bytes_per_call", "Result bytes received per call"},
             Value{Metric::db_round_trips, "certbench_db_round_trips_per_call", "Database round trips per call of a cached path"},
             Value{Metric::redis_round_trips, "certbench_redis_round_trips_per_call", "Redis round trips per call"},
             Value{Metric::throughput, "certbench_throughput_requests_per_second", "Successful requests per second"},
             Value{Metric::process_heap, "certbench_process_heap_bytes", "The most heap the process held during a load"},
             Value{Metric::files_written, "certbench_files_written", "Files saved in the measured window"},
             Value{Metric::requests, "certbench_requests",
                   "Requests of a load's measured windows: completed, or scheduled under an open loop"},
             Value{Metric::failures, "certbench_failures", "Requests of a load that failed"},
             Value{Metric::response_bytes, "certbench_http_response_bytes", "Bytes of an HTTP response's body"},

             Value{Metric::concurrency_reached, "certbench_concurrency_reached", "The most requests in flight at once"},
             Value{Metric::cache_hits, "certbench_cache_hits_per_call", "Lookups the cache answered itself, per call"},
             Value{Metric::cache_misses, "certbench_cache_misses_per_call", "Lookups the cache had to load, per call"},
             Value{Metric::pool_sessions, "certbench_pool_sessions", "Database sessions in the driver's pool"},
             Value{Metric::pool_in_use, "certbench_pool_sessions_in_use", "Pool sessions held, averaged over the window"},
             Value{Metric::pool_in_use_max, "certbench_pool_sessions_in_use_max", "The most pool sessions held at once"},
             Value{Metric::server_statements, "certbench_db_statements_per_call",
                   "Statements the server executed per call (pg_stat_statements)"},
             Value{Metric::shared_buffers, "certbench_db_shared_buffers_per_call",
                   "Shared buffers one call touched, hit + read (pg_stat_statements)"},
             Value{Metric::server_execution, "certbench_db_execution_seconds_per_call",
                   "The server's execution time of one call's statements (pg_stat_statements)"},
             Value{Metric::index_size_bytes, "certbench_index_size_bytes", "An index's size on disk (pg_relation_size)"},
             Value{Metric::index_build_seconds, "certbench_index_build_seconds", "The time one CREATE INDEX took"},
             Value{Metric::index_scans, "certbench_index_scans",
                   "Scans of an index during the listings' counted calls (pg_stat_user_indexes.idx_scan)"}})
      if (auto v = s.value(metric)) f.gauge(name, help, labels, *v);
  }

  for (const auto& d : run.deltas) {
    const auto* other = run.find(d.other_key);
    const auto* base = run.find(d.baseline_key);
    if (other == nullptr || base == nullptr) continue;
    auto labels = series_labels(runner, *other);
    labels.push_back({"baseline", base->implementation});
    // The index scenario compares sets (best against none and against review), not implementations.
    if (other->family == results::family::indexes || other->family == results::family::index_writes)
      labels.push_back({"baseline_set", base->mode});
    labels.push_back({"metric", std::string(results::name(d.metric))});
    for (auto [bound, value] : {std::pair{"estimate", d.factor.estimate}, std::pair{"low", d.factor.low},
                                std::pair{"high", d.factor.high}}) {
      auto l = labels;
      l.push_back({"bound", bound});
      if (value >= 1e300) value = std::numeric_limits<double>::infinity();  // an unbounded interval: +Inf
      f.gauge("certbench_delta_factor",
              "How many times better impl is than the baseline on metric, with the 95% interval's bounds (ratio)", l,
              value);
    }
  }

  for (const auto& v : run.verdicts)
    f.gauge("certbench_verdict", "A claim or goal judged on this run (value 1; the verdict is the label)",
            {{"runner", runner}, {"id", v.id}, {"kind", v.kind}, {"subject", v.subject},
             {"verdict", std::string(results::to_string(v.outcome))}},
            1);

  for (const auto& v : run.index_verdicts)
    f.gauge("certbench_index_verdict",
            "An index of the review's or the best set judged on this run: used, unused or harmful (value 1; the verdict "
            "is the label; adds=1: best has it, the review does not)",
            {{"runner", runner}, {"set", v.set}, {"table", v.table}, {"index", v.index}, {"verdict", v.outcome},
             {"adds", v.adds ? "1" : "0"}},
            1);

  return f;
}

}  // namespace

std::string to_exposition(const results::Run& run, const std::string& runner, std::optional<double> last_success) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families_of(run, runner, last_success).all());
  return out.str();
}

// The run so far, as Prometheus asks for it: what is measured until now, and what is under way.
class RunCollectable final : public prometheus::Collectable {
 public:
  RunCollectable(std::string runner, std::function<results::Run()> snapshot, std::function<std::string()> progress)
      : runner_(std::move(runner)), snapshot_(std::move(snapshot)), progress_(std::move(progress)) {}
  std::vector<MetricFamily> Collect() const override {
    const auto run = snapshot_();
    auto f = families_of(run, runner_, std::nullopt);
    f.gauge("certbench_run_progress_info", "The scenario under way (value 1; empty when the run has ended)",
            {{"runner", runner_}, {"scenario", progress_ ? progress_() : std::string()}}, 1);
    double samples = 0;
    for (const auto& s : run.series)
      for (const auto& [metric, v] : s.samples) samples += static_cast<double>(v.size());
    f.gauge("certbench_run_series", "Series measured so far", {{"runner", runner_}}, static_cast<double>(run.series.size()));
    f.gauge("certbench_run_samples", "Samples measured so far", {{"runner", runner_}}, samples);
    return f.all();
  }

 private:
  std::string runner_;
  std::function<results::Run()> snapshot_;
  std::function<std::string()> progress_;
};

struct MetricsServer::Impl {
  std::shared_ptr<RunCollectable> collectable;
  std::unique_ptr<prometheus::Exposer> exposer;
};

MetricsServer::MetricsServer(const std::string& address, std::string runner, std::function<results::Run()> snapshot,
                             std::function<std::string()> progress)
    : impl_(std::make_unique<Impl>()) {
  impl_->collectable = std::make_shared<RunCollectable>(std::move(runner), std::move(snapshot), std::move(progress));
  try {
    impl_->exposer = std::make_unique<prometheus::Exposer>(address, 1);
  } catch (const std::exception& e) {
    throw EnvironmentError("cannot serve /metrics on " + address + ": " + e.what());
  }
  impl_->exposer->RegisterCollectable(impl_->collectable);
}

MetricsServer::~MetricsServer() = default;

int MetricsServer::port() const {
  const auto ports = impl_->exposer->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void push(const results::Run& run, const PushOptions& options) {
  const std::string body = to_exposition(run, options.runner);
  std::string last_error;
  for (unsigned attempt = 0; attempt < std::max(1u, options.attempts); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CURL* curl = curl_easy_init();
    if (curl == nullptr) throw EnvironmentError("cannot start an HTTP client (libcurl) for " + options.url);
    std::string url = options.url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    // The runner in base64url (the Pushgateway's "@base64" form): any name, slashes included, is one
    // path segment.
    url += "/metrics/job/certbench/runner@base64/" + base64url(options.runner);
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: text/plain; version=0.0.4");
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");  // PUT replaces the group (POST would merge)
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    std::string answer;
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) -> size_t {
      static_cast<std::string*>(out)->append(data, size * n);
      return size * n;
    });
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer);
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK && status >= 200 && status < 300) return;
    last_error = rc != CURLE_OK ? curl_easy_strerror(rc)
                                : "HTTP " + std::to_string(status) + (answer.empty() ? "" : ": " + answer.substr(0, answer.find('\n')));
  }
  throw EnvironmentError("could not push to the Pushgateway at " + options.url + ": " + last_error);
}

void write_textfile(const results::Run& run, const std::string& runner, const std::filesystem::path& path) {
  // A run that did not complete keeps the last success the file had, so that an alert on its age
  // fires on failures instead of losing the figure.
  std::optional<double> last_success;
  if (!run.complete)
    if (const auto old = sys::read_file(path)) {
      std::istringstream lines(*old);
      for (std::string line; std::getline(lines, line);)
        if (line.rfind("certbench_run_last_success_timestamp_seconds", 0) == 0)
          last_success = std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr);
    }
  sys::write_file_atomic(path, to_exposition(run, runner, last_success));
}

}  // namespace certbench::reports
