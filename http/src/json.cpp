#include "certbench/http/json.hpp"

#include "certbench/http/cursor.hpp"

namespace certbench::http {
namespace {
// Text from a request (an unknown name in a message) may be any bytes: never fail on them.
std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }
}  // namespace

nlohmann::json certificate_json(const CertificateRow& r) {
  nlohmann::json j = {{"kind", r.kind},
                      {"id", r.id},
                      {"certificate_number", r.certificate_number},
                      {"generated_at", r.generated_at},
                      {"recipient_name", r.recipient_name},
                      {"is_public", r.is_public},
                      {"created_by", r.created_by},
                      {"spa_id", r.spa_id},
                      {"template_id", r.template_id},
                      {"file_path", r.file_path},
                      {"image_path", r.image_path ? nlohmann::json(*r.image_path) : nlohmann::json()}};
  auto add = [&](const char* key, const std::optional<std::string>& v) {
    if (v) j[key] = *v;
  };
  add("spa_name", r.spa_name);
  add("template_name", r.template_name);
  add("user_email", r.user_email);
  add("user_full_name", r.user_full_name);
  return j;
}

std::string listing_body(Listing listing, std::int64_t user_id, const PageRequest& page, std::string_view after,
                         const ListingPage& result) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : result.rows) rows.push_back(certificate_json(r));
  nlohmann::json out = {{"listing", to_string(listing)},
                        {"page", page.after ? nlohmann::json() : nlohmann::json(page.page)},
                        {"size", page.size},
                        {"after", page.after ? nlohmann::json(after) : nlohmann::json()},
                        {"rows", std::move(rows)},
                        {"next_cursor", result.next ? nlohmann::json(encode_cursor(listing, user_id, *result.next))
                                                    : nlohmann::json()}};
  if (listing == Listing::user_certificates) out["user_id"] = user_id;
  return dump(out);
}

nlohmann::json template_json(const CertificateTemplate& t) {
  // A layout that is not valid JSON stays a string rather than failing the response.
  nlohmann::json layout = nlohmann::json::parse(t.layout, nullptr, false);
  if (layout.is_discarded()) layout = t.layout;
  return {{"id", t.id},
          {"name", t.name},
          {"kind", t.kind},
          {"is_public", t.is_public},
          {"is_active", t.is_active},
          {"created_by", t.created_by},
          {"layout", std::move(layout)},
          {"updated_at", t.updated_at}};
}

std::string error_body(std::string_view message) { return dump(nlohmann::json{{"error", message}}); }

}  // namespace certbench::http
