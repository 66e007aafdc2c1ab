#include "certbench/http/routes.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <vector>

#include "certbench/core/certificate_kinds.hpp"
#include "certbench/core/errors.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/http/cursor.hpp"

namespace certbench::http {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
    if (path.empty()) out.emplace_back();  // a trailing slash is a path of its own: unknown
  }
  return out;
}

std::string percent_decoded(std::string_view text, std::string_view what) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] != '%') {
      out += text[i];
    } else {
      unsigned value = 0;
      if (i + 2 >= text.size() ||
          std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16).ptr != text.data() + i + 3)
        throw InputError("bad percent-encoding in " + std::string(what));
      out += static_cast<char>(value);
      i += 2;
    }
  }
  return out;
}

std::int64_t whole_number(std::string_view text, std::string_view what) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw InputError(std::string(what) + " must be a whole number (got '" + std::string(text) + "')");
  return value;
}

std::int64_t id_of(std::string_view text, std::string_view what) {
  const auto id = whole_number(text, what);
  if (id < 0) throw InputError(std::string(what) + " must not be negative (got " + std::to_string(id) + ")");
  return id;
}

bool listed(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string joined(std::span<const std::string_view> names) {
  std::string out;
  for (auto n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

void check_impl(std::span<const std::string_view> names, std::string_view impl, std::string_view family) {
  if (!listed(names, impl))
    throw RequestError(404, "no " + std::string(family) + " implementation '" + std::string(impl) + "' (there are " +
                                joined(names) + ")");
}

void check_method(std::string_view method, std::string_view allowed) {
  if (method != allowed)
    throw RequestError(405, "this path takes " + std::string(allowed) + " only", std::string(allowed));
}

ListingRoute listing_route(std::string_view impl, Listing listing, std::int64_t user_id, std::string_view query) {
  ListingRoute r{std::string(impl), listing, user_id, {}, {}};
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = item.find('=');
    const auto key = item.substr(0, eq);
    const auto value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    if (key == "page") r.page.page = whole_number(percent_decoded(value, "page"), "page");
    if (key == "size") r.page.size = whole_number(percent_decoded(value, "size"), "size");
    if (key == "after") r.after = percent_decoded(value, "after");
  }
  if (!r.after.empty()) r.page.after = decode_cursor(r.after, listing, user_id);
  r.page.validate();
  return r;
}

// The image's file name: the certificate, and the type its data URL declares (the save checks the
// bytes against it). Only a data URL is taken: the name needs the type before the decode.
std::string image_name(const SaveRoute& r, const std::string& payload) {
  constexpr std::string_view prefix = "data:image/";
  std::string data_url = payload.substr(0, 64);  // data URLs' scheme and type are case-insensitive
  for (char& c : data_url) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  const auto semicolon = data_url.find(';');
  if (!data_url.starts_with(prefix) || semicolon == std::string::npos || semicolon == prefix.size() ||
      semicolon > prefix.size() + 16)
    throw InputError("data_url must be a data URL: data:image/<type>;base64,<base64>");
  std::string type = data_url.substr(prefix.size(), semicolon - prefix.size());
  if (type.find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos)
    throw InputError("data_url: the image type must be a lower-case name such as png (got '" + type + "')");
  if (type == "jpeg") type = "jpg";
  return fmt::format("{}-{}.{}", r.kind, r.id, type);
}

std::string data_url_of(const std::string& body) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded()) throw InputError("the body must be JSON: {\"data_url\": \"data:image/png;base64,…\"}");
  if (!json.is_object() || !json.contains("data_url") || !json["data_url"].is_string())
    throw InputError("the body must be a JSON object with a string data_url");
  return json["data_url"].get<std::string>();
}

}  // namespace

Route route(std::string_view method, std::string_view target) {
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  if (!path.starts_with('/')) throw RequestError(404, "no such path");
  const auto s = split(path.substr(1));
  const std::size_t n = s.size();
  const auto at = [&](std::size_t i) { return i < n ? s[i] : std::string_view(); };

  if (n == 1 && s[0] == "health") {
    check_method(method, "GET");
    return HealthRoute{};
  }
  const auto impl = at(0);
  const auto listing = [&](Listing l, std::int64_t user) -> Route {
    check_impl(harness::listing_implementations(), impl, "listing");
    check_method(method, "GET");
    return listing_route(impl, l, user, query);
  };
  if (n == 3 && s[1] == "certificates" && s[2] == "public") return listing(Listing::public_certificates, 0);
  if (n == 2 && s[1] == "certificates") return listing(Listing::certificates_endpoint, 0);
  if (n == 3 && s[1] == "admin" && s[2] == "certificates") return listing(Listing::all_certificates_with_users, 0);
  if (n == 4 && s[1] == "users" && s[3] == "certificates") {
    check_impl(harness::listing_implementations(), impl, "listing");
    check_method(method, "GET");
    return listing_route(impl, Listing::user_certificates, id_of(s[2], "the user id"), query);
  }
  if (n == 3 && s[1] == "templates") {
    check_impl(harness::reference_implementations(), impl, "template cache");
    check_method(method, "GET");
    if (s[2] == "public") return TemplateRoute{std::string(impl), std::nullopt};
    return TemplateRoute{std::string(impl), id_of(s[2], "the template id")};
  }
  if (n == 5 && s[1] == "certificates" && (s[4] == "image" || s[4] == "file")) {
    check_impl(harness::file_save_implementations(), impl, "file-save");
    const auto kinds = certificate_kinds();
    if (std::none_of(kinds.begin(), kinds.end(), [&](const auto& k) { return k.name == s[2]; }))
      throw RequestError(404, "no certificate kind '" + std::string(s[2]) + "'");
    check_method(method, "POST");
    return SaveRoute{std::string(impl), s[4] == "image" ? SaveFunction::base64_image : SaveFunction::certificate_file,
                     std::string(s[2]), id_of(s[3], "the certificate id")};
  }
  throw RequestError(404, "no such path");
}

ImageUpload image_upload(const SaveRoute& route, const std::string& body) {
  std::string data_url = data_url_of(body);
  std::string name = image_name(route, data_url);
  return {std::move(name), std::move(data_url)};
}

}  // namespace certbench::http
