// Server differences: what makes the PostgreSQL server's own figures (buffers, plans) incomparable.
#include <set>

#include "detail.hpp"

namespace certbench::gate::detail {

namespace {

// "15" from "15.18 (Debian 15.18-0+deb12u1)".
std::string major_version(const std::string& version) {
  std::string out;
  for (char c : version) {
    if (c < '0' || c > '9') break;
    out += c;
  }
  return out;
}

}  // namespace

// What makes the server's own figures (buffers, plans) incomparable; "" when they compare.
std::string server_difference(const results::Environment& a, const results::Environment& b) {
  if (major_version(a.postgres_version) != major_version(b.postgres_version))
    return "PostgreSQL " + major_version(a.postgres_version) + " in the baseline, " + major_version(b.postgres_version) +
           " in this run";
  static const std::set<std::string> irrelevant{"fsync", "synchronous_commit", "shared_preload_libraries"};
  std::set<std::string> names;
  for (const auto& [k, v] : a.postgres_settings) names.insert(k);
  for (const auto& [k, v] : b.postgres_settings) names.insert(k);
  for (const auto& name : names) {
    if (irrelevant.count(name)) continue;
    const auto ia = a.postgres_settings.find(name), ib = b.postgres_settings.find(name);
    const std::string va = ia == a.postgres_settings.end() ? "unset" : ia->second;
    const std::string vb = ib == b.postgres_settings.end() ? "unset" : ib->second;
    if (va != vb) return "the planner setting " + name + " is " + va + " in the baseline, " + vb + " in this run";
  }
  return "";
}

}  // namespace certbench::gate::detail
