// What `certbench serve` does with a request's bytes before any database or disk work: Beast's
// parser with serve's limits, the route (path, implementation, ids, page, size, cursor), an
// image save's body (its JSON, the data URL's type, the file name, the decode and the checks of
// the bytes a save writes). A request is refused by the parser, or answered: a refusal is a
// response of 400 to 599 whose body is a JSON object with an "error" string — never anything else.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "certbench/core/errors.hpp"
#include "certbench/http/api.hpp"
#include "certbench/http/routes.hpp"
#include "certbench/http/server.hpp"
#include "certbench/impl_common/file_saves.hpp"
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
    const auto* save = std::get_if<certbench::http::SaveRoute>(&route);
    if (save != nullptr && save->function == certbench::SaveFunction::base64_image && parser.is_done()) {
      const auto upload = certbench::http::image_upload(*save, request.body());
      const auto bytes = certbench::impl_common::checked_image_bytes(upload.name, upload.data_url, limits.save);
      CERTBENCH_FUZZ_CHECK(!bytes.empty() && bytes.size() <= limits.save.max_bytes);
      bool plain = true;  // what the save writes is under one plain file name
      try {
        certbench::impl_common::check_file_name(upload.name);
      } catch (const certbench::InputError&) {
        plain = false;
      }
      CERTBENCH_FUZZ_CHECK(plain);
    }
  } catch (...) {  // the refusal serve sends: the client's fault (4xx), none of this touched a server
    const auto response = certbench::http::current_error_response();
    CERTBENCH_FUZZ_CHECK(response.status >= 400 && response.status <= 499);
    const auto body = nlohmann::json::parse(response.body, nullptr, false);
    CERTBENCH_FUZZ_CHECK(body.is_object() && body.contains("error") && body["error"].is_string());
  }
  return 0;
}
