#include "certbench/results/json.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "certbench/core/errors.hpp"

namespace certbench::results {
namespace {

using nlohmann::json;

json to_json(const Interval& i) { return {{"estimate", i.estimate}, {"low", i.low}, {"high", i.high}}; }
Interval interval_from(const json& j) {
  return {j.at("estimate").get<double>(), j.at("low").get<double>(), j.at("high").get<double>()};
}

Metric metric_from(const json& j) {
  const auto text = j.get<std::string>();
  const auto m = parse_metric(text);
  if (!m) throw std::invalid_argument("unknown metric '" + text + "'");
  return *m;
}

json to_json(const Series& s) {
  json samples = json::object(), values = json::object();
  for (const auto& [m, v] : s.samples) samples[std::string(name(m))] = v;
  for (const auto& [m, v] : s.values) values[std::string(name(m))] = v;
  json out = {{"key", s.key()},         {"family", s.family},     {"path", s.path},
               {"implementation", s.implementation}, {"mode", s.mode}, {"parameters", s.parameters},
               {"samples", samples},     {"values", values}};
  if (const auto& b = s.latency_buckets)
    out["latency_buckets"] = {{"le", b->upper_bounds}, {"cumulative", b->cumulative}, {"count", b->count}, {"sum", b->sum}};
  return out;
}

Series series_from(const json& j) {
  Series s;
  s.family = j.at("family").get<std::string>();
  s.path = j.at("path").get<std::string>();
  s.implementation = j.at("implementation").get<std::string>();
  s.mode = j.at("mode").get<std::string>();
  s.parameters = j.at("parameters").get<std::map<std::string, double>>();
  for (const auto& [k, v] : j.at("samples").items()) s.samples[metric_from(k)] = v.get<std::vector<double>>();
  for (const auto& [k, v] : j.at("values").items()) s.values[metric_from(k)] = v.get<double>();
  if (const auto b = j.find("latency_buckets"); b != j.end()) {
    Buckets out;
    out.upper_bounds = b->at("le").get<std::vector<double>>();
    out.cumulative = b->at("cumulative").get<std::vector<std::uint64_t>>();
    out.count = b->at("count").get<std::uint64_t>();
    out.sum = b->at("sum").get<double>();
    if (out.upper_bounds.size() != out.cumulative.size())
      throw std::invalid_argument("latency_buckets: 'le' and 'cumulative' differ in length");
    s.latency_buckets = std::move(out);
  }
  return s;
}

json to_json(const Delta& d) {
  return {{"baseline", d.baseline_key}, {"other", d.other_key},     {"metric", name(d.metric)},
          {"factor", to_json(d.factor)}, {"method", d.method},      {"baseline_n", d.baseline_n},
          {"other_n", d.other_n}};
}

Delta delta_from(const json& j) {
  Delta d;
  d.baseline_key = j.at("baseline").get<std::string>();
  d.other_key = j.at("other").get<std::string>();
  d.metric = metric_from(j.at("metric"));
  d.factor = interval_from(j.at("factor"));
  d.method = j.at("method").get<std::string>();
  d.baseline_n = j.at("baseline_n").get<std::uint64_t>();
  d.other_n = j.at("other_n").get<std::uint64_t>();
  return d;
}

json to_json(const Verdict& v) {
  json j = {{"id", v.id},           {"kind", v.kind},         {"text", v.text},
            {"subject", v.subject}, {"expected", v.expected}, {"outcome", to_string(v.outcome)},
            {"series", v.series_key}, {"unit", v.unit}, {"n", v.n}};
  j["measured"] = v.measured ? to_json(*v.measured) : json(nullptr);
  return j;
}

Verdict verdict_from(const json& j) {
  Verdict v;
  v.id = j.at("id").get<std::string>();
  v.kind = j.at("kind").get<std::string>();
  v.text = j.at("text").get<std::string>();
  v.subject = j.at("subject").get<std::string>();
  v.expected = j.at("expected").get<std::string>();
  const auto outcome = parse_outcome(j.at("outcome").get<std::string>());
  if (!outcome) throw std::invalid_argument("unknown outcome '" + j.at("outcome").get<std::string>() + "'");
  v.outcome = *outcome;
  v.series_key = j.at("series").get<std::string>();
  v.unit = j.at("unit").get<std::string>();
  v.n = j.at("n").get<std::uint64_t>();
  if (!j.at("measured").is_null()) v.measured = interval_from(j.at("measured"));
  return v;
}

json to_json(const GrowthFit& f) {
  return {{"curve", f.curve}, {"family", f.family}, {"path", f.path}, {"implementation", f.implementation},
          {"metric", name(f.metric)}, {"exponent", to_json(f.exponent)}, {"scales", f.scales}};
}

GrowthFit fit_from(const json& j) {
  GrowthFit f;
  f.curve = j.at("curve").get<std::string>();
  f.family = j.at("family").get<std::string>();
  f.path = j.at("path").get<std::string>();
  f.implementation = j.at("implementation").get<std::string>();
  f.metric = metric_from(j.at("metric"));
  f.exponent = interval_from(j.at("exponent"));
  f.scales = j.at("scales").get<std::vector<double>>();
  return f;
}

json to_json(const Plan& p) {
  json j = {{"family", p.family},
          {"path", p.path},
          {"implementation", p.implementation},
          {"parameters", p.parameters},
          {"statement", p.statement},
          {"executions", p.executions},
          {"nodes", p.nodes},
          {"indexes", p.indexes},
          {"sequential_scans", p.sequential_scans},
          {"rows", p.rows},
          {"shared_hit", p.shared_hit},
          {"shared_read", p.shared_read},
          {"planning_ms", p.planning_ms},
          {"execution_ms", p.execution_ms}};
  if (!p.mode.empty()) j["mode"] = p.mode;  // the index scenario's plans only: other files stay as they were
  return j;
}

Plan plan_from(const json& j) {
  Plan p;
  p.family = j.at("family").get<std::string>();
  p.path = j.at("path").get<std::string>();
  p.implementation = j.at("implementation").get<std::string>();
  p.mode = j.value("mode", std::string());
  p.parameters = j.at("parameters").get<std::map<std::string, double>>();
  p.statement = j.at("statement").get<std::string>();
  p.executions = j.at("executions").get<std::uint64_t>();
  p.nodes = j.at("nodes").get<std::vector<std::string>>();
  p.indexes = j.at("indexes").get<std::vector<std::string>>();
  p.sequential_scans = j.at("sequential_scans").get<std::vector<std::string>>();
  p.rows = j.at("rows").get<double>();
  p.shared_hit = j.at("shared_hit").get<double>();
  p.shared_read = j.at("shared_read").get<double>();
  p.planning_ms = j.at("planning_ms").get<double>();
  p.execution_ms = j.at("execution_ms").get<double>();
  return p;
}

json to_json(const IndexUse& u) {
  return {{"set", u.set}, {"path", u.path}, {"implementation", u.implementation}, {"index", u.index}, {"scans", u.scans}};
}

IndexUse index_use_from(const json& j) {
  return {j.at("set").get<std::string>(), j.at("path").get<std::string>(), j.at("implementation").get<std::string>(),
          j.at("index").get<std::string>(), j.at("scans").get<double>()};
}

json to_json(const IndexVerdict& v) {
  return {{"set", v.set},         {"table", v.table},     {"index", v.index},   {"outcome", v.outcome},
          {"scans", v.scans},     {"read_by", v.read_by}, {"adds", v.adds},     {"reason", v.reason}};
}

IndexVerdict index_verdict_from(const json& j) {
  IndexVerdict v;
  v.set = j.at("set").get<std::string>();
  v.table = j.at("table").get<std::string>();
  v.index = j.at("index").get<std::string>();
  v.outcome = j.at("outcome").get<std::string>();
  v.scans = j.at("scans").get<double>();
  v.read_by = j.at("read_by").get<std::vector<std::string>>();
  v.adds = j.at("adds").get<bool>();
  v.reason = j.at("reason").get<std::string>();
  return v;
}

json to_json(const Environment& e) {
  json j = {{"certbench_version", e.certbench_version},
          {"git_commit", e.git_commit},
          {"git_dirty", e.git_dirty},
          {"postgres_version", e.postgres_version},
          {"postgres_settings", e.postgres_settings},
          {"redis_version", e.redis_version},
          {"cpu_model", e.cpu_model},
          {"cores", e.cores},
          {"kernel", e.kernel},
          {"host", e.host},
          {"dataset", {{"scale", e.dataset_scale}, {"seed", e.dataset_seed}, {"indexes", e.dataset_indexes},
                       {"fingerprint", e.dataset_fingerprint}}},
          {"started_utc", e.started_utc},
          {"ended_utc", e.ended_utc},
          {"options", e.options}};
  if (!e.builds.empty()) {  // only a comparing run has them: other files stay as they were
    json builds = json::array();
    for (const auto& b : e.builds) builds.push_back({{"role", b.role}, {"binary", b.binary}, {"version", b.version}});
    j["builds"] = builds;
  }
  return j;
}

Environment environment_from(const json& j) {
  Environment e;
  e.certbench_version = j.at("certbench_version").get<std::string>();
  e.git_commit = j.at("git_commit").get<std::string>();
  e.git_dirty = j.value("git_dirty", false);
  // Files written before git_dirty marked a modified tree in the commit itself.
  if (constexpr std::string_view suffix = "-dirty"; e.git_commit.ends_with(suffix)) {
    e.git_commit.resize(e.git_commit.size() - suffix.size());
    e.git_dirty = true;
  }
  e.postgres_version = j.at("postgres_version").get<std::string>();
  e.postgres_settings = j.at("postgres_settings").get<std::map<std::string, std::string>>();
  e.redis_version = j.at("redis_version").get<std::string>();
  e.cpu_model = j.at("cpu_model").get<std::string>();
  e.cores = j.at("cores").get<unsigned>();
  e.kernel = j.at("kernel").get<std::string>();
  e.host = j.at("host").get<std::string>();
  const auto& d = j.at("dataset");
  e.dataset_scale = d.at("scale").get<std::uint64_t>();
  e.dataset_seed = d.at("seed").get<std::uint64_t>();
  e.dataset_indexes = d.at("indexes").get<std::string>();
  e.dataset_fingerprint = d.at("fingerprint").get<std::string>();
  e.started_utc = j.at("started_utc").get<std::string>();
  e.ended_utc = j.at("ended_utc").get<std::string>();
  e.options = j.at("options").get<std::vector<std::string>>();
  if (j.contains("builds"))
    for (const auto& b : j.at("builds"))
      e.builds.push_back({b.at("role").get<std::string>(), b.at("binary").get<std::string>(),
                          b.at("version").get<std::string>()});
  return e;
}

}  // namespace

std::string to_json(const Run& run) {
  json series = json::array(), deltas = json::array(), verdicts = json::array(), fits = json::array(),
       plans = json::array();
  for (const auto& p : run.plans) plans.push_back(to_json(p));
  for (const auto& f : run.fits) fits.push_back(to_json(f));
  for (const auto& s : run.series) series.push_back(to_json(s));
  for (const auto& d : run.deltas) deltas.push_back(to_json(d));
  for (const auto& v : run.verdicts) verdicts.push_back(to_json(v));
  json doc = {{"schema_version", run.schema_version},
              {"environment", to_json(run.environment)},
              {"complete", run.complete},
              {"failure", run.failure},
              {"series", series},
              {"deltas", deltas},
              {"verdicts", verdicts},
              {"fits", fits},
              {"plans", plans}};
  if (!run.index_use.empty()) {  // only a run with the index scenario has them
    json use = json::array();
    for (const auto& u : run.index_use) use.push_back(to_json(u));
    doc["index_use"] = use;
  }
  if (!run.index_verdicts.empty()) {
    json verdicts_of_indexes = json::array();
    for (const auto& v : run.index_verdicts) verdicts_of_indexes.push_back(to_json(v));
    doc["index_verdicts"] = verdicts_of_indexes;
  }
  return doc.dump(1) + "\n";
}

Run from_json(std::string_view text, std::string_view origin) {
  const std::string where(origin);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception&) {
    throw InputError(where + " is not JSON (truncated or corrupt)");
  }
  if (!doc.is_object() || !doc.contains("schema_version") || !doc["schema_version"].is_number_integer())
    throw InputError(where + " is not a certbench results file (no schema_version)");
  const int version = doc["schema_version"].get<int>();
  if (version != kSchemaVersion)
    throw InputError(where + " has schema_version " + std::to_string(version) + "; this certbench reads version " +
                     std::to_string(kSchemaVersion) + " (re-run certbench to make a new one)");
  Run run;
  try {
    run.schema_version = version;
    run.environment = environment_from(doc.at("environment"));
    run.complete = doc.at("complete").get<bool>();
    run.failure = doc.at("failure").get<std::string>();
    for (const auto& s : doc.at("series")) run.series.push_back(series_from(s));
    for (const auto& d : doc.at("deltas")) run.deltas.push_back(delta_from(d));
    for (const auto& v : doc.at("verdicts")) run.verdicts.push_back(verdict_from(v));
    for (const auto& f : doc.at("fits")) run.fits.push_back(fit_from(f));
    for (const auto& p : doc.at("plans")) run.plans.push_back(plan_from(p));
    if (doc.contains("index_use"))
      for (const auto& u : doc.at("index_use")) run.index_use.push_back(index_use_from(u));
    if (doc.contains("index_verdicts"))
      for (const auto& v : doc.at("index_verdicts")) run.index_verdicts.push_back(index_verdict_from(v));
  } catch (const std::exception& e) {
    throw InputError(where + " is not a valid results file: " + e.what());
  }
  return run;
}

Run load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return from_json(text.str(), path.string());
}

}  // namespace certbench::results
