// What `certbench serve` does with a request's bytes before any database work: Beast's parser
// with serve's limits, then the route (path, implementation, ids, page, size, cursor). A request
// is parsed, or refused by the parser; a parsed one is routed, or refused with a status of 400
// or more — never anything else.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "certbench/core/errors.hpp"
#include "certbench/http/routes.hpp"
#include "certbench/http/server.hpp"
#include "check.hpp"

namespace bhttp = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const certbench::http::ServerOptions limits;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(limits.max_header);
  parser.body_limit(limits.max_body);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (used < size && !parser.is_done()) {
    const auto n = parser.put(boost::asio::buffer(data + used, size - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) return 0;  // refused by the parser: serve answers 400, 413 or 431 and closes
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_header_done()) return 0;
  const auto& request = parser.get();
  try {
    const auto route = certbench::http::route(std::string(request.method_string()), std::string(request.target()));
    if (const auto* listing = std::get_if<certbench::http::ListingRoute>(&route)) {
      CERTBENCH_FUZZ_CHECK(listing->page.after || listing->page.page >= 1);  // a cursor's page is unused
      CERTBENCH_FUZZ_CHECK(listing->page.size >= 1 && listing->page.size <= certbench::kMaxPageSize);
      CERTBENCH_FUZZ_CHECK(listing->after.empty() == !listing->page.after.has_value());
    }
  } catch (const certbench::http::RequestError& e) {
    CERTBENCH_FUZZ_CHECK(e.status() >= 400 && e.status() <= 599);
  } catch (const certbench::InputError&) {
  }
  return 0;
}
