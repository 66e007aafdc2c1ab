// certbench's Grafana dashboards (reports/grafana/dashboards) and their provisioning files: the JSON
// as Grafana's file provisioning takes it (fixed uids, a datasource variable, no import-only
// placeholders), and every panel's query evaluated by a real Prometheus that scraped a real
// Pushgateway after two real runs pushed to it — each query must return data, for both runners.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "certbench/sys/files.hpp"
#include "certbench/sys/net.hpp"
#include "certbench/sys/process.hpp"
#include "support/cluster.hpp"
#include "support/services.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using certbench::testing::run_certbench;
using certbench::testing::has;
using certbench::testing::slurp;

namespace {

const fs::path kGrafana = fs::path(CERTBENCH_SOURCE_DIR) / "reports/grafana";
const json kDatasource = {{"type", "prometheus"}, {"uid", "${datasource}"}};

struct Dashboard {
  std::string file;
  std::string text;
  json model;
};

std::vector<Dashboard> dashboards() {
  std::vector<Dashboard> out;
  for (const auto& e : fs::directory_iterator(kGrafana / "dashboards"))
    if (e.path().extension() == ".json") {
      auto text = slurp(e.path());
      out.push_back({e.path().filename().string(), text, json::parse(text)});
    }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.file < b.file; });
  return out;
}

// Every panel but rows, the panels inside collapsed rows included.
std::vector<json> panels_of(const json& dashboard) {
  std::vector<json> out;
  for (const auto& p : dashboard.value("panels", json::array())) {
    if (p.value("type", "") == "row") {
      for (const auto& inner : p.value("panels", json::array())) out.push_back(inner);
      continue;
    }
    out.push_back(p);
  }
  return out;
}

const json* variable(const json& dashboard, const std::string& name) {
  for (const auto& v : dashboard["templating"]["list"])
    if (v.value("name", "") == name) return &v;
  return nullptr;
}

std::string variable_query(const json& v) {
  const auto& q = v["query"];
  return q.is_object() ? q.value("query", "") : q.get<std::string>();
}

// The values Grafana puts in a query with every value of every variable selected: the runners as a
// multi-value selection does ("(alpha|beta)"), "All" as the variable's allValue, a custom variable's
// options as one regex (the queries match them with =~), Grafana's own interval variables as
// durations Prometheus accepts.
std::map<std::string, std::string> values_of(const json& dashboard, const std::string& runners) {
  std::map<std::string, std::string> values{
      {"__range", "5m"}, {"__range_s", "300"}, {"__interval", "15s"}, {"__rate_interval", "1m"}};
  for (const auto& v : dashboard["templating"]["list"]) {
    const auto name = v.value("name", "");
    const auto type = v.value("type", "");
    if (name == "runner") {
      values[name] = runners;
    } else if (type == "query" && v.value("includeAll", false)) {
      values[name] = v.value("allValue", ".*");
    } else if (type == "custom") {
      std::string all;
      for (const auto& o : v["options"]) all += (all.empty() ? "" : "|") + o["value"].get<std::string>();
      values[name] = all;
    }
  }
  return values;
}

// `text` with $name and ${name} (and ${name:format}) replaced; an unknown variable is a failure.
std::string substitute(const std::string& text, const std::map<std::string, std::string>& values, std::string& unknown) {
  static const std::regex ref(R"(\$\{(\w+)(?::[^}]*)?\}|\$(\w+))");
  std::string out;
  auto last = text.cbegin();
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ref); it != std::sregex_iterator(); ++it) {
    const auto name = (*it)[1].matched ? (*it)[1].str() : (*it)[2].str();
    out.append(last, (*it)[0].first);
    if (auto v = values.find(name); v != values.end()) {
      out += v->second;
    } else {
      unknown = name;
      out += (*it)[0].str();
    }
    last = (*it)[0].second;
  }
  out.append(last, text.cend());
  return out;
}

}  // namespace

// What Grafana's file provisioning needs of the JSON: a fixed, unique uid per dashboard; the
// datasource as a variable of type datasource (a ${DS_...} placeholder only resolves through the
// import UI); every panel and query on that variable; runner, path and impl variables to filter by;
// every query over certbench's series filtered by runner.
TEST(Grafana, DashboardsAreProvisionableAsTheyAre) {
  const auto boards = dashboards();
  ASSERT_GE(boards.size(), 1u) << "no dashboards in " << (kGrafana / "dashboards");
  std::set<std::string> uids, titles;
  const std::regex uid_form("[A-Za-z0-9_-]{1,40}");
  for (const auto& b : boards) {
    SCOPED_TRACE(b.file);
    const auto& d = b.model;
    EXPECT_FALSE(has(b.text, "${DS_")) << "an import-only datasource placeholder";
    EXPECT_FALSE(d.contains("__inputs")) << "an export for the import UI, not for provisioning";
    ASSERT_TRUE(d.contains("uid") && d["uid"].is_string());
    const auto uid = d["uid"].get<std::string>();
    EXPECT_TRUE(std::regex_match(uid, uid_form)) << uid;
    EXPECT_TRUE(uids.insert(uid).second) << "uid twice: " << uid;
    EXPECT_TRUE(titles.insert(d.value("title", "")).second) << "title twice: " << d.value("title", "");
    EXPECT_TRUE(!d.contains("id") || d["id"].is_null()) << "a fixed numeric id clashes across Grafanas";

    const auto* ds = variable(d, "datasource");
    ASSERT_NE(ds, nullptr) << "no datasource variable";
    EXPECT_EQ((*ds)["type"], "datasource");
    EXPECT_EQ((*ds)["query"], "prometheus");
    // By default the provisioned datasource (reports/grafana/provisioning/datasources/certbench.yaml).
    EXPECT_EQ((*ds)["current"].value("value", ""), "certbench-prometheus");
    for (const char* name : {"runner", "path", "impl"}) {
      const auto* v = variable(d, name);
      ASSERT_NE(v, nullptr) << "no variable " << name;
      EXPECT_EQ((*v)["type"], "query") << name;
      EXPECT_EQ((*v)["datasource"], kDatasource) << name;
      EXPECT_TRUE((*v).value("multi", false) && (*v).value("includeAll", false)) << name;
      EXPECT_TRUE(has(variable_query(*v), "label_values(certbench_")) << name;
    }

    std::set<int> ids;
    const auto panels = panels_of(d);
    EXPECT_FALSE(panels.empty());
    for (const auto& p : panels) {
      const auto title = p.value("title", "");
      SCOPED_TRACE(title);
      EXPECT_TRUE(ids.insert(p.value("id", 0)).second) << "panel id twice";
      EXPECT_EQ(p["datasource"], kDatasource);
      const auto& g = p["gridPos"];
      EXPECT_LE(g.value("x", 99) + g.value("w", 99), 24);
      ASSERT_TRUE(p.contains("targets") && !p["targets"].empty()) << "a panel with no query";
      for (const auto& t : p["targets"]) {
        EXPECT_EQ(t["datasource"], kDatasource);
        const auto expr = t.value("expr", "");
        EXPECT_FALSE(expr.empty());
        EXPECT_TRUE(!has(expr, "certbench_") || has(expr, "runner=~\"$runner\"")) << "not filtered by runner";
      }
    }
  }

  const auto datasource = slurp(kGrafana / "provisioning/datasources/certbench.yaml");
  for (const char* line : {"type: prometheus", "uid: certbench-prometheus", "url: ${CERTBENCH_PROMETHEUS_URL}"})
    EXPECT_TRUE(has(datasource, line)) << line;
  const auto provider = slurp(kGrafana / "provisioning/dashboards/certbench.yaml");
  for (const char* line : {"type: file", "path: ${CERTBENCH_GRAFANA_DASHBOARDS}"})
    EXPECT_TRUE(has(provider, line)) << line;
}

namespace {

// A Pushgateway and a Prometheus scraping it every second (honor_labels: the pushed job and runner
// stay), on free loopback ports, with their files in `dir`.
struct Stack {
  std::string pushgateway, prometheus;
  certbench::testing::ChildProcess gateway_process, prometheus_process;
};

Stack start_stack(const fs::path& dir) {
  const int gateway_port = certbench::sys::free_loopback_port();
  const int prometheus_port = certbench::sys::free_loopback_port();
  const std::string gateway = "127.0.0.1:" + std::to_string(gateway_port);
  std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                                           "scrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n"
                                           "    static_configs:\n      - targets: ['" + gateway + "']\n";
  auto gateway_process = certbench::testing::start_process(
      {"/usr/bin/prometheus-pushgateway", "--web.listen-address=" + gateway,
       "--persistence.file=" + (dir / "pushgateway.data").string()},
      dir / "pushgateway.log");
  auto prometheus_process = certbench::testing::start_process(
      {"/usr/bin/prometheus", "--config.file=" + (dir / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir / "prometheus-data").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)},
      dir / "prometheus.log");
  return {"http://" + gateway, "http://127.0.0.1:" + std::to_string(prometheus_port), std::move(gateway_process),
          std::move(prometheus_process)};
}

bool ready(const std::string& url) { return certbench::testing::http_get(url + "/-/ready").status == 200; }

// An instant query's answer: {"status": "success", "data": {"resultType": ..., "result": [...]}}.
json instant_query(const std::string& prometheus, const std::string& expr) {
  const auto answer = certbench::testing::http_get(prometheus + "/api/v1/query?query=" + certbench::testing::url_encode(expr));
  if (answer.status == 0) return {{"status", "error"}, {"error", answer.error}};
  try {
    return json::parse(answer.body);
  } catch (const json::exception&) {
    return {{"status", "error"}, {"error", "HTTP " + std::to_string(answer.status) + ": " + answer.body}};
  }
}

}  // namespace

// Two runners' quick runs pushed to a real Pushgateway, scraped by a real Prometheus; then every
// query of every panel of every dashboard, with the variables as Grafana fills them for "all", is
// evaluated by Prometheus's HTTP API: each returns series, and where a series has a runner both
// runners are there. The variables' own label_values queries answer too.
TEST(Grafana, EveryPanelQueryAnswersForBothRunnersFromARealPrometheus) {
  const auto dir = certbench::sys::make_unique_dir(certbench::sys::throwaway_parent(), "certbench-test-grafana-");
  std::optional<Stack> running(start_stack(dir));
  const auto& stack = *running;
  ASSERT_TRUE(certbench::testing::eventually([&] { return ready(stack.pushgateway) && ready(stack.prometheus); }, 60))
      << slurp(dir / "pushgateway.log") << slurp(dir / "prometheus.log");

  // Every family a panel draws needs a real run of every path: the two runners run side by side,
  // their loads' windows as short as the command line allows, one concurrency on the loop with
  // fewer sessions than requests (so requests wait for the pool).
  std::map<std::string, pid_t> runs;
  for (const char* runner : {"alpha", "beta"})
    runs[runner] = certbench::testing::spawn_certbench(
        {"run", "--quick", "--scale", "1000", "--schema", "grafana", "--dsn", certbench::testing::shared_cluster().dsn(),
         "--out", (dir / runner).string(), "--runner", runner, "--pushgateway", stack.pushgateway, "--require-push",
         "--loop-seconds", "0.05", "--save-seconds", "0.05", "--loop-concurrency", "2", "--loop-sessions", "1"},
        (dir / (std::string(runner) + ".log")).string());
  std::map<std::string, int> exit_codes;
  for (const auto& [runner, pid] : runs) exit_codes[runner] = certbench::sys::wait_for_exit(pid);
  for (const auto& [runner, code] : exit_codes)
    ASSERT_EQ(code, 0) << runner << ": " << slurp(dir / (runner + ".log"));
  ASSERT_TRUE(certbench::testing::eventually(
      [&] {
        const auto a = instant_query(stack.prometheus, "count(certbench_run_info{runner=~\"alpha|beta\"})");
        const auto& result = a["data"]["result"];
        return result.size() == 1 && result[0]["value"][1] == "2";
      },
      60))
      << "Prometheus did not scrape both runners' series: " << slurp(dir / "prometheus.log");

  // This suite runs in the release build, on jemalloc: every panel has data, the memory panel's
  // peak heap too (a sanitizer build would measure none, docs/metrics.md).
  bool heap_measured = false;
  const auto alpha = json::parse(slurp(dir / "alpha" / "results.json"));
  for (const auto& s : alpha["series"])
    heap_measured |= s["samples"].contains("peak_heap");
  ASSERT_TRUE(heap_measured) << "the run measured no peak heap: is this a jemalloc build?";

  std::size_t evaluated = 0;
  for (const auto& b : dashboards()) {
    const auto values = values_of(b.model, "(alpha|beta)");
    for (const auto& p : panels_of(b.model)) {
      for (const auto& t : p.value("targets", json::array())) {
        const auto original = t.value("expr", "");
        std::string unknown;
        const auto expr = substitute(original, values, unknown);
        SCOPED_TRACE(b.file + ": " + p.value("title", "") + ": " + expr);
        EXPECT_TRUE(unknown.empty()) << "unknown variable $" << unknown;
        const auto answer = instant_query(stack.prometheus, expr);
        ASSERT_EQ(answer.value("status", ""), "success") << answer.dump();
        const auto& result = answer["data"]["result"];
        ++evaluated;
        if (result.empty()) {
          ADD_FAILURE() << "no data";
          continue;
        }
        std::set<std::string> runners;
        bool path = false, impl = false;
        for (const auto& series : result) {
          const auto& labels = series["metric"];
          if (labels.contains("runner")) runners.insert(labels["runner"].get<std::string>());
          path |= labels.contains("path");
          impl |= labels.contains("impl");
        }
        if (!runners.empty()) {
          EXPECT_EQ(runners, (std::set<std::string>{"alpha", "beta"}));
        }
        // The dashboard's filters reach every label its series have.
        EXPECT_TRUE(!path || has(original, "path=~\"$path\"")) << "series with a path, no $path filter";
        EXPECT_TRUE(!impl || has(original, "impl=~\"$impl\"")) << "series with an impl, no $impl filter";
      }
    }

    // The variables' own queries: label_values(SELECTOR, LABEL), asked as Grafana does.
    const std::regex label_values(R"(^\s*label_values\((.*),\s*(\w+)\)\s*$)");
    for (const auto& v : b.model["templating"]["list"]) {
      if (v.value("type", "") != "query") continue;
      std::string unknown;
      const auto query = substitute(variable_query(v), values, unknown);
      SCOPED_TRACE(b.file + ": variable " + v.value("name", "") + ": " + query);
      std::smatch m;
      ASSERT_TRUE(std::regex_match(query, m, label_values));
      const auto answer = certbench::testing::http_get(stack.prometheus + "/api/v1/label/" + m[2].str() +
                                                       "/values?match[]=" + certbench::testing::url_encode(m[1].str()));
      ASSERT_EQ(answer.status, 200) << answer.error << answer.body;
      const auto found = json::parse(answer.body)["data"];
      EXPECT_FALSE(found.empty());
      if (m[2] == "runner") {
        EXPECT_EQ(std::set<std::string>(found.begin(), found.end()), (std::set<std::string>{"alpha", "beta"}));
      }
    }
  }
  EXPECT_GE(evaluated, 20u);
  running.reset();  // Prometheus writes into dir until it is gone
  fs::remove_all(dir);
}
