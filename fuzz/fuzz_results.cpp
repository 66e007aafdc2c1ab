// The files certbench reads back: a results.json or baseline (results::from_json) and a gate
// policy (gate::parse_policy). Anything is refused with one error or loaded; a loaded run writes
// out and reads back to the same text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "certbench/core/errors.hpp"
#include "certbench/gate/policy.hpp"
#include "certbench/results/json.hpp"
#include "check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string once;
  try {
    once = certbench::results::to_json(certbench::results::from_json(text, "fuzz.json"));
  } catch (const certbench::Error&) {
    once.clear();
  }
  if (!once.empty()) {  // what certbench wrote, it reads back: an error here is a finding
    const auto again = certbench::results::to_json(certbench::results::from_json(once, "again.json"));
    CERTBENCH_FUZZ_CHECK(again == once);
  }
  try {
    (void)certbench::gate::parse_policy(text, "fuzz-policy.json");
  } catch (const certbench::Error&) {
  }
  return 0;
}
