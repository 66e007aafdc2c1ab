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
  // Objects and arrays: members and elements after the first are preceded by a comma.
  void open(char bracket) {
    separate();
    out_ += bracket;
    first_ = true;
  }
  void close(char bracket) {
    out_ += bracket;
    first_ = false;
  }
  void key(std::string_view name) {  // keys are ASCII identifiers: nothing to escape
    separate();
    out_ += '"';
    out_ += name;
    out_ += "\":";
    first_ = true;  // the value follows without a comma
  }
  void integer(std::string_view name, std::int64_t v) {
    key(name);
    value(std::to_string(v));
  }
  void flag(std::string_view name, bool v) {
    key(name);
    value(v ? "true" : "false");
  }
  void text(std::string_view name, std::string_view v) {
    key(name);
    string(v);
    first_ = false;
  }
  /// null when absent, or, with `omit`, no member at all.
  void nullable(std::string_view name, const std::optional<std::string_view>& v, bool omit = false) {
    if (v) {
      text(name, *v);
    } else if (!omit) {
      key(name);
      value("null");
    }
  }
  void nullable(std::string_view name, const std::optional<std::int64_t>& v) {
    if (v) {
      integer(name, *v);
    } else {
      key(name);
      value("null");
    }
  }

 private:
  void separate() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void value(std::string_view literal) {  // a number, true, false or null
    out_ += literal;
    first_ = false;
  }
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
  bool first_ = true;  // nothing written yet in the current object or array, or a key just written
};

// Keys in sorted order, as nlohmann's objects (std::map) write them.
void write_certificate(Writer& w, const CertificateRow& r) {
  auto optional = [](const std::optional<std::string>& v) {
    return v ? std::optional<std::string_view>(*v) : std::nullopt;
  };
  w.open('{');
  w.text("certificate_number", r.certificate_number);
  w.integer("created_by", r.created_by);
  w.text("file_path", r.file_path);
  w.text("generated_at", r.generated_at);
  w.integer("id", r.id);
  w.nullable("image_path", optional(r.image_path));
  w.flag("is_public", r.is_public);
  w.text("kind", r.kind);
  w.text("recipient_name", r.recipient_name);
  w.integer("spa_id", r.spa_id);
  w.nullable("spa_name", optional(r.spa_name), true);
  w.integer("template_id", r.template_id);
  w.nullable("template_name", optional(r.template_name), true);
  w.nullable("user_email", optional(r.user_email), true);
  w.nullable("user_full_name", optional(r.user_full_name), true);
  w.close('}');
}
}  // namespace

std::string listing_body(Listing listing, std::int64_t user_id, const PageRequest& page, std::string_view after,
                         const ListingPage& result) {
  std::string out;
  out.reserve(256 + 360 * result.rows.size());
  Writer w(out);
  w.open('{');
  w.nullable("after", page.after ? std::optional<std::string_view>(after) : std::nullopt);
  w.text("listing", to_string(listing));
  const std::string next = result.next ? encode_cursor(listing, user_id, *result.next) : std::string();
  w.nullable("next_cursor", result.next ? std::optional<std::string_view>(next) : std::nullopt);
  w.nullable("page", page.after ? std::nullopt : std::optional<std::int64_t>(page.page));
  w.key("rows");
  w.open('[');
  for (const auto& row : result.rows) write_certificate(w, row);
  w.close(']');
  w.integer("size", page.size);
  if (listing == Listing::user_certificates) w.integer("user_id", user_id);
  w.close('}');
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
