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

namespace {
// A listing page is written straight into its string, in the bytes nlohmann's dump() gives
// certificate_json (keys sorted, compact): building the tree of a 20-row page, each object a
// std::map, cost the server as much CPU as the database call it answers (docs/api.md). A test
// holds the two to the same bytes.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void raw(std::string_view text) { out_ += text; }
  void key(std::string_view name) {  // keys are ASCII identifiers: nothing to escape
    out_ += '"';
    out_ += name;
    out_ += "\":";
  }
  void field(std::string_view name) {  // a key after the object's first
    out_ += ',';
    key(name);
  }
  void optional_field(std::string_view name, const std::optional<std::string>& v) {
    if (!v) return;
    field(name);
    string(*v);
  }
  void number(std::int64_t v) { out_ += std::to_string(v); }
  void boolean(bool v) { out_ += v ? "true" : "false"; }
  void string(std::string_view v) {
    if (!valid_utf8(v)) {  // what nlohmann replaces, it replaces
      out_ += dump(nlohmann::json(std::string(v)));
      return;
    }
    out_ += '"';
    std::size_t plain = 0;  // the start of the run of bytes that need no escape, appended at once
    for (std::size_t i = 0; i < v.size(); ++i) {
      const auto c = static_cast<unsigned char>(v[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(v.data() + plain, i - plain);
      plain = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default: {
          static constexpr char hex[] = "0123456789abcdef";
          out_ += "\\u00";
          out_ += hex[c >> 4];
          out_ += hex[c & 0xf];
        }
      }
    }
    out_.append(v.data() + plain, v.size() - plain);
    out_ += '"';
  }
  void optional(const std::optional<std::string>& v) {
    if (v) string(*v);
    else raw("null");
  }

 private:
  static bool valid_utf8(std::string_view v) {
    for (std::size_t i = 0; i < v.size();) {
      const auto c = static_cast<unsigned char>(v[i]);
      if (c < 0x80) {
        ++i;
        continue;
      }
      std::size_t n = 0;
      std::uint32_t cp = 0;
      if ((c & 0xe0) == 0xc0) n = 1, cp = c & 0x1f;
      else if ((c & 0xf0) == 0xe0) n = 2, cp = c & 0x0f;
      else if ((c & 0xf8) == 0xf0) n = 3, cp = c & 0x07;
      else return false;
      if (i + n >= v.size()) return false;
      for (std::size_t k = 1; k <= n; ++k) {
        const auto d = static_cast<unsigned char>(v[i + k]);
        if ((d & 0xc0) != 0x80) return false;
        cp = (cp << 6) | (d & 0x3f);
      }
      // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
      if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
          (cp >= 0xd800 && cp <= 0xdfff))
        return false;
      i += n + 1;
    }
    return true;
  }
  std::string& out_;
};

void write_certificate(Writer& w, const CertificateRow& r) {
  w.raw("{");
  w.key("certificate_number");
  w.string(r.certificate_number);
  w.field("created_by");
  w.number(r.created_by);
  w.field("file_path");
  w.string(r.file_path);
  w.field("generated_at");
  w.string(r.generated_at);
  w.field("id");
  w.number(r.id);
  w.field("image_path");
  w.optional(r.image_path);
  w.field("is_public");
  w.boolean(r.is_public);
  w.field("kind");
  w.string(r.kind);
  w.field("recipient_name");
  w.string(r.recipient_name);
  w.field("spa_id");
  w.number(r.spa_id);
  w.optional_field("spa_name", r.spa_name);
  w.field("template_id");
  w.number(r.template_id);
  w.optional_field("template_name", r.template_name);
  w.optional_field("user_email", r.user_email);
  w.optional_field("user_full_name", r.user_full_name);
  w.raw("}");
}
}  // namespace

std::string listing_body(Listing listing, std::int64_t user_id, const PageRequest& page, std::string_view after,
                         const ListingPage& result) {
  std::string out;
  out.reserve(256 + 360 * result.rows.size());
  Writer w(out);
  w.raw("{");
  w.key("after");
  if (page.after) w.string(after);
  else w.raw("null");
  w.field("listing");
  w.string(to_string(listing));
  w.field("next_cursor");
  if (result.next) w.string(encode_cursor(listing, user_id, *result.next));
  else w.raw("null");
  w.field("page");
  if (page.after) w.raw("null");
  else w.number(page.page);
  w.field("rows");
  w.raw("[");
  for (std::size_t i = 0; i < result.rows.size(); ++i) {
    if (i > 0) w.raw(",");
    write_certificate(w, result.rows[i]);
  }
  w.raw("]");
  w.field("size");
  w.number(page.size);
  if (listing == Listing::user_certificates) {
    w.field("user_id");
    w.number(user_id);
  }
  w.raw("}");
  return out;
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
