// report.md's caching and derived data (families caching and derived), with which cache to take.
#include <fmt/format.h>

#include "certbench/results/format.hpp"
#include "writer.hpp"

namespace certbench::reports::markdown {

void Writer::caching() {
  auto series = family(results::family::caching);
  for (const auto* s : family(results::family::derived)) series.push_back(s);
  if (series.empty()) return;
  line("## Caching and derived data");
  line("");
  line("Templates and spas from the database on every call (naive), from an in-process cache (TTL, explicit "
       "invalidation, single flight) and from Redis ({}); hits and misses measured on caches of their own. "
       "Nanosecond calls are timed in batches.",
       run.environment.redis_version.empty() ? "not used" : "Redis " + run.environment.redis_version);
  line("");
  chart("caching_latency", "latency per variant");
  line("| path | variant | mode | n | median | p95 | hits | misses | db round trips | Redis round trips | "
       "latency vs naive |");
  line("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const auto* s : series) {
    const auto lat = summary(*s, Metric::latency);
    const auto* d = delta(*s, Metric::latency);
    auto trips = [&](Metric m) {
      const auto v = s->value(m);
      return v ? fmt::format("{:.2f}", *v) : std::string("—");
    };
    line("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |", s->path, s->implementation, s->mode, lat.n,
         results::duration(lat.median), results::duration(lat.p95), trips(Metric::cache_hits), trips(Metric::cache_misses),
         trips(Metric::db_round_trips), trips(Metric::redis_round_trips), d ? results::delta_text(*d) : "—");
  }
  line("");
  const Series *hit = nullptr, *redis = nullptr, *db = nullptr;
  for (const auto* s : series)
    if (s->path == "get_template_by_id") {
      if (s->implementation == "in_process" && s->mode == "hit") hit = s;
      if (s->implementation == "redis" && s->mode == "hit") redis = s;
      if (s->implementation == "naive") db = s;
    }
  if (hit != nullptr && redis != nullptr && db != nullptr) {
    const double h = summary(*hit, Metric::latency).median, r = summary(*redis, Metric::latency).median,
                 d = summary(*db, Metric::latency).median;
    line("**Which cache.** {}: a hit costs {} in-process, {} from Redis and {} from the database — a Redis hit "
         "is still a loopback round trip ({} {} than PostgreSQL's primary-key lookup here). Take Redis when "
         "several processes must share entries and one invalidation{}.",
         h <= r ? "The in-process cache" : "Redis", results::duration(h), results::duration(r), results::duration(d),
         results::factor(r < d ? d / r : r / d), r < d ? "faster" : "slower", h <= r ? ", not for speed" : "");
    line("");
  }
}

}  // namespace certbench::reports::markdown
