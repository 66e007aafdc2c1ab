#include "certbench/harness/listing_threads.hpp"

#include <memory>

#include "certbench/db/connection.hpp"
#include "certbench/harness/implementations.hpp"

namespace certbench::harness {

LoadResult run_listing_on_threads(const LoadSpec& spec) {
  // Each client connects and calls the page once (warm-up, outside the window).
  return run_on_threads(spec.clients, spec.duration, [&](unsigned) -> ThreadCall {
    auto session = std::make_shared<ListingSession>(open_listing_session(spec.dsn, spec.schema, spec.impl));
    session->listings->list(spec.listing, spec.user_id, spec.page);
    return [&spec, session] { session->listings->list(spec.listing, spec.user_id, spec.page); };
  });
}

}  // namespace certbench::harness
