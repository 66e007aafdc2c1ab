#include "certbench/harness/listing_loop.hpp"

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include <memory>

#include "certbench/core/errors.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/certificate_rows.hpp"
#include "certbench/impl_common/idle_pool.hpp"
#include "certbench/impl_common/offload.hpp"

namespace certbench::harness {
namespace {

// As many as pool threads: a job never waits for one.
using Sessions = impl_common::IdlePool<ListingSession>;

// One page, on a pool thread with a session of its own. An empty page is an answer like any
// other (a dataset may have no public certificate).
boost::asio::awaitable<std::size_t> page_on_pool(boost::asio::thread_pool& pool, Sessions& sessions,
                                                 const LoadSpec& spec) {
  return impl_common::offload(pool, [&sessions, &spec, asked = Sessions::Clock::now()] {
    auto s = sessions.take(asked);  // the wait includes the queue for a pool thread: one per session
    return s->listings->list(spec.listing, spec.user_id, spec.page).rows.size();
  });
}

boost::asio::awaitable<void> listing_request(boost::asio::thread_pool& pool, Sessions& sessions, const LoadSpec& spec) {
  co_await page_on_pool(pool, sessions, spec);
}

// Every session warm before any window: one call each, untimed (statements prepared, caches
// filled), whichever session a window's requests then take.
std::unique_ptr<Sessions> open_sessions(const LoadSpec& spec, unsigned sessions) {
  auto out = std::make_unique<Sessions>();
  for (unsigned i = 0; i < sessions; ++i) {
    auto session = open_listing_session(spec.dsn, spec.schema, spec.impl);
    session.listings->list(spec.listing, spec.user_id, spec.page);
    out->add(std::move(session));
  }
  return out;
}

// One window on warm `sessions` (their usage counted from its start): a thread per session.
LoopLoadResult run_on_sessions(const LoadSpec& spec, Sessions& sessions, unsigned count) {
  boost::asio::thread_pool pool(count);
  boost::asio::io_context io;
  LoopLoadSpec load;
  load.concurrency = spec.clients;
  load.duration = spec.duration;
  load.on_window_start = [&sessions] { sessions.reset_usage(); };
  auto result = run_loop_load(io, load, [&](std::uint64_t) { return listing_request(pool, sessions, spec); });
  pool.join();
  fill_pool_figures(result, sessions.usage());
  if (result.failures > 0)
    throw EnvironmentError(fmt::format("{} of {} calls failed: {}", result.failures, result.requests, result.first_failure));
  return result;
}
}  // namespace

LoopLoadResult run_listing_on_loop(const LoadSpec& spec, unsigned sessions) {
  sessions = std::max(1u, sessions);
  const auto pool = open_sessions(spec, sessions);
  return run_on_sessions(spec, *pool, sessions);
}

std::vector<ListingLoopPoint> measure_listings_on_loop(const ListingLoopSpec& spec,
                                                       const std::function<void(std::string_view)>& progress) {
  const std::int64_t user = impl_common::busiest_owner(spec.dsn, spec.schema);
  std::vector<ListingLoopPoint> out;
  const unsigned repetitions = std::max(1u, spec.repetitions);
  const unsigned sessions = std::max(1u, spec.sessions);
  for (Listing listing : kListings) {
    const auto impls = listing_implementations(listing);
    // Each implementation's pool is opened and warmed once per listing and lives through its
    // windows, as a server's does: opening (a parallel session opens five connections) and warming
    // at every window cost run time. All of a listing's pools are open at once: up to 11
    // connections per session (--loop-sessions).
    std::vector<std::unique_ptr<Sessions>> pools(impls.size());
    for (unsigned c : spec.concurrency) {
      std::vector<std::vector<LoopLoadResult>> reps(impls.size());
      for (unsigned rep = 0; rep < repetitions; ++rep)
        for (std::size_t k = 0; k < impls.size(); ++k) {
          if (progress)
            progress(fmt::format("{}, {} at {} concurrent (repetition {} of {})", to_string(listing), impls[k], c,
                                 rep + 1, repetitions));
          LoadSpec load;
          load.dsn = spec.dsn;
          load.schema = spec.schema;
          load.impl = std::string(impls[k]);
          load.listing = listing;
          load.user_id = user;  // only the user listing reads it
          load.page = spec.page;
          load.clients = c;
          load.duration = spec.duration_per_point / repetitions;
          if (!pools[k]) pools[k] = open_sessions(load, sessions);
          reps[k].push_back(run_on_sessions(load, *pools[k], sessions));
        }
      for (std::size_t k = 0; k < impls.size(); ++k)
        out.push_back({listing, std::string(impls[k]), merge_repetitions(reps[k])});
    }
  }
  return out;
}

}  // namespace certbench::harness
