#include "certbench/harness/plans.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/certificate_rows.hpp"

namespace certbench::harness {
namespace {

using nlohmann::json;

void walk(const json& node, results::Plan& plan) {
  const auto type = node.value("Node Type", std::string("?"));
  plan.nodes.push_back(type);
  if (node.contains("Index Name")) plan.indexes.push_back(node["Index Name"].get<std::string>());
  if (type == "Seq Scan" && node.contains("Relation Name"))
    plan.sequential_scans.push_back(node["Relation Name"].get<std::string>());
  if (node.contains("Plans"))
    for (const auto& child : node["Plans"]) walk(child, plan);
}

}  // namespace

void summarise_explain(std::string_view explain_json, results::Plan& plan) {
  try {
    const auto doc = json::parse(explain_json);
    const auto& top = doc.at(0);
    const auto& root = top.at("Plan");
    walk(root, plan);
    plan.rows = root.value("Actual Rows", 0.0);
    plan.shared_hit = root.value("Shared Hit Blocks", 0.0);
    plan.shared_read = root.value("Shared Read Blocks", 0.0);
    plan.planning_ms = top.value("Planning Time", 0.0);
    plan.execution_ms = top.value("Execution Time", 0.0);
  } catch (const json::exception& e) {
    throw QueryError(std::string("PostgreSQL's EXPLAIN output could not be read: ") + e.what(), "");
  }
}

std::vector<CallStatement> statements_of_one_call(ListingSession& session, Listing listing, std::int64_t user,
                                                  const PageRequest& page) {
  std::vector<db::ExecutedStatement> executed;
  session.db->capture_statements(&executed);
  try {
    session.listings->list(listing, user, page);
  } catch (...) {
    session.db->capture_statements(nullptr);
    throw;
  }
  session.db->capture_statements(nullptr);
  std::vector<CallStatement> out;
  for (auto& e : executed) {
    auto it = std::find_if(out.begin(), out.end(), [&](const CallStatement& s) { return s.sql == e.sql; });
    if (it == out.end()) it = out.insert(out.end(), CallStatement{std::move(e.sql), {}});
    it->executions.push_back(std::move(e.params));
  }
  return out;
}

std::vector<results::Plan> capture_plans(const ListingRunSpec& spec, std::uint64_t scale,
                                         const std::function<void(std::string_view)>& progress) {
  std::vector<results::Plan> out;
  std::int64_t user = -1;
  for (Listing listing : spec.listings)
    for (auto impl : listing_implementations(listing)) {
      if (!spec.implementations.empty() &&
          std::find(spec.implementations.begin(), spec.implementations.end(), impl) == spec.implementations.end())
        continue;
      if (progress) progress(std::string(to_string(listing)) + ", " + std::string(impl));
      auto session = spec.open(spec.dsn, spec.schema, impl);
      if (user < 0) user = impl_common::busiest_owner(*session.db);
      session.listings->list(listing, user, spec.page);  // statements prepared, caches filled
      for (const auto& statement : statements_of_one_call(session, listing, user, spec.page)) {
        results::Plan plan;
        plan.family = "listing";
        plan.path = std::string(to_string(listing));
        plan.implementation = std::string(impl);
        plan.parameters = {{"scale", static_cast<double>(scale)},
                           {"page", static_cast<double>(spec.page.page)},
                           {"size", static_cast<double>(spec.page.size)}};
        plan.statement = statement.sql;
        plan.executions = statement.executions.size();
        const auto r = session.db->exec_params("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement.sql,
                                               statement.executions.front());
        summarise_explain(r.text(0, 0), plan);
        out.push_back(std::move(plan));
      }
    }
  return out;
}

}  // namespace certbench::harness
