#pragma once
// The API's paths (docs/api.md): a request's method and target, turned into what it asks for,
// checked before any work. No sockets and no database here, so routing is testable on its own.
//
// Every implementation is served under a prefix of its own name, taken from the harness's
// registry: a listing implementation for the certificate listings, a reference-data variant for
// the templates, a file-save implementation for the saves.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include "certbench/core/file_saves.hpp"
#include "certbench/core/listing.hpp"

namespace certbench::http {

/// A request refused with an HTTP status (404, 405 with the methods allowed, 413, 431, …).
class RequestError : public std::runtime_error {
 public:
  RequestError(int status, const std::string& message, std::string allow = {})
      : std::runtime_error(message), status_(status), allow_(std::move(allow)) {}
  [[nodiscard]] int status() const noexcept { return status_; }
  /// The Allow header of a 405: the methods the path takes.
  [[nodiscard]] const std::string& allow() const noexcept { return allow_; }

 private:
  int status_;
  std::string allow_;
};

struct HealthRoute {};

/// GET /{impl}/certificates/public, /{impl}/users/{id}/certificates, /{impl}/admin/certificates,
/// /{impl}/certificates; query page, size, after.
struct ListingRoute {
  std::string impl;
  Listing listing = Listing::public_certificates;
  std::int64_t user_id = 0;  ///< user_certificates only
  PageRequest page;          ///< validated; page.after decoded from `after`
  std::string after;         ///< the cursor as given ("" = a numbered page)
};

/// GET /{variant}/templates/{id} and /{variant}/templates/public.
struct TemplateRoute {
  std::string variant;
  std::optional<std::int64_t> id;  ///< nullopt: the public templates
};

/// POST /{impl}/certificates/{kind}/{id}/image and …/file.
struct SaveRoute {
  std::string impl;
  SaveFunction function = SaveFunction::base64_image;
  std::string kind;
  std::int64_t id = 0;
};

using Route = std::variant<HealthRoute, ListingRoute, TemplateRoute, SaveRoute>;

/// What `method` on `target` (path and query, as in the request line) asks for. Throws
/// RequestError 404 for an unknown path, implementation or certificate kind, 405 for a method the
/// path does not take; InputError (a 400) for a bad id, page, size or cursor. Unknown query
/// parameters are ignored.
Route route(std::string_view method, std::string_view target);

/// What an image save's body asks for: the file name (the certificate and the type its data URL
/// declares: the save checks the bytes against it) and the data URL, still encoded.
struct ImageUpload {
  std::string name;
  std::string data_url;
};

/// The image `body` (`{"data_url": "data:image/<type>;base64,…"}`) asks `route` to save. Throws
/// InputError (a 400) for a body that is not such a JSON object or a data URL without an image
/// type; the payload itself is checked by the save.
ImageUpload image_upload(const SaveRoute& route, const std::string& body);

}  // namespace certbench::http
