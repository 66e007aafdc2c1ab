#include "certbench/results/run.hpp"

#include <array>
#include <charconv>
#include <cmath>

namespace certbench::results {

std::string number_text(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // the shortest text that reads back as v
  return std::string(buf, r.ptr);
}

std::string Series::key() const {
  std::string k = family + "/" + path + "/" + implementation;
  if (!mode.empty()) k += "/" + mode;
  for (const auto& [name, value] : parameters) k += "/" + name + "=" + number_text(value);
  return k;
}

std::string Series::curve() const {
  Series without_scale = *this;
  without_scale.parameters.erase("scale");
  return without_scale.key();
}

std::optional<double> Series::parameter(const std::string& name) const {
  auto it = parameters.find(name);
  return it == parameters.end() ? std::nullopt : std::optional(it->second);
}

std::optional<double> Series::value(Metric metric) const {
  auto it = values.find(metric);
  return it == values.end() ? std::nullopt : std::optional(it->second);
}

const std::vector<double>* Series::samples_of(Metric metric) const {
  auto it = samples.find(metric);
  return it == samples.end() ? nullptr : &it->second;
}

const Series* Run::find(const std::string& key) const {
  for (const auto& s : series)
    if (s.key() == key) return &s;
  return nullptr;
}

std::vector<const Series*> Run::of_family(std::string_view f) const {
  std::vector<const Series*> out;
  for (const auto& s : series)
    if (s.family == f) out.push_back(&s);
  return out;
}

const Delta* Run::against_naive(const Series& other, Metric metric) const {
  const auto key = other.key();
  for (const auto& d : deltas) {
    if (d.other_key != key || d.metric != metric) continue;
    if (const auto* b = find(d.baseline_key); b != nullptr && b->implementation == "naive") return &d;
  }
  return nullptr;
}

namespace {
constexpr std::array<std::pair<Outcome, std::string_view>, 7> kOutcomes{{
    {Outcome::below, "below"},
    {Outcome::within, "within"},
    {Outcome::beyond, "beyond"},
    {Outcome::inconclusive, "inconclusive"},
    {Outcome::met, "met"},
    {Outcome::not_met, "not_met"},
    {Outcome::not_measured, "not_measured"},
}};
}  // namespace

std::string_view to_string(Outcome outcome) noexcept {
  for (const auto& [o, text] : kOutcomes)
    if (o == outcome) return text;
  return "not_measured";
}

std::optional<Outcome> parse_outcome(std::string_view text) noexcept {
  for (const auto& [o, t] : kOutcomes)
    if (t == text) return o;
  return std::nullopt;
}

}  // namespace certbench::results
