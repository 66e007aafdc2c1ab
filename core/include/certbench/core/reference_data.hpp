#pragma once
// The reference data the endpoints look up (the review's problems 5 and 6): certificate templates
// — get_template_by_id(), get_public_templates() — and spas, and the one interface that the naive
// variant (the database on every call) and the cached variants (in-process, Redis) satisfy.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace certbench {

struct CertificateTemplate {
  std::int64_t id = 0;
  std::string name;
  std::string kind;  ///< the certificate kind it is for, e.g. "spa_therapist"
  bool is_public = false;
  bool is_active = false;
  std::int64_t created_by = 0;
  std::string layout;      ///< JSON, as stored
  std::string updated_at;  ///< ISO 8601, UTC
  friend bool operator==(const CertificateTemplate&, const CertificateTemplate&) = default;
};

struct Spa {
  std::int64_t id = 0;
  std::int64_t owner_id = 0;
  std::string name;
  std::string city;
  friend bool operator==(const Spa&, const Spa&) = default;
};

// Values are shared, immutable snapshots: a cache hit hands out a reference instead of copying a
// template's layout, which would cost more than the lookup. A null pointer means "not found".
using TemplateRef = std::shared_ptr<const CertificateTemplate>;
using TemplateListRef = std::shared_ptr<const std::vector<CertificateTemplate>>;
using SpaRef = std::shared_ptr<const Spa>;

/// A change to a template made through certbench; unset fields stay as they are.
struct TemplateChange {
  std::optional<std::string> name;
  std::optional<bool> is_public;
  std::optional<bool> is_active;
  std::optional<std::string> layout;  ///< JSON
};

/// What a variant did since it was made. Lookups are counted per call: hits + misses = calls of
/// the cached variants; a miss is answered by a load (or by waiting for another thread's load of
/// the same key: waits). Round trips are the variant's own: database statements, Redis commands.
struct ReferenceCounters {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t loads = 0;       ///< database fetches made to answer lookups
  std::uint64_t waits = 0;       ///< misses answered by another thread's load of the same key
  std::uint64_t evictions = 0;   ///< entries pushed out by the size bound
  std::uint64_t fallbacks = 0;   ///< lookups answered from the database because Redis failed
  std::uint64_t db_round_trips = 0;
  std::uint64_t redis_round_trips = 0;
};

/// The template and spa lookups. Thread-safe: the cached variants are shared by every request.
/// Changes go to the database first; a cached variant then invalidates what it holds, so the
/// next read through it sees the change.
class ReferenceData {
 public:
  virtual ~ReferenceData() = default;
  [[nodiscard]] virtual std::string_view name() const noexcept = 0;  ///< "naive", "in_process", "redis"

  /// get_template_by_id(id); null if there is no such template.
  virtual TemplateRef template_by_id(std::int64_t id) = 0;
  /// get_public_templates(): the public, active templates, by id.
  virtual TemplateListRef public_templates() = 0;
  /// The spa an endpoint shows beside a certificate; null if there is none.
  virtual SpaRef spa_by_id(std::int64_t id) = 0;

  /// Changes a template; false if there is no such template.
  virtual bool update_template(std::int64_t id, const TemplateChange& change) = 0;
  /// Deletes a template; false if there was none. (A template still used by a certificate cannot
  /// be deleted: the database refuses, QueryError.)
  virtual bool delete_template(std::int64_t id) = 0;

  /// Drops everything cached (no-op without a cache): how a benchmark measures the miss path.
  virtual void forget_cached() {}

  [[nodiscard]] virtual ReferenceCounters counters() const = 0;
};

}  // namespace certbench
