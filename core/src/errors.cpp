#include "certbench/core/errors.hpp"

#include <string_view>

namespace certbench {

std::string first_line(std::string_view message) {
  while (!message.empty() && (message.front() == '\n' || message.front() == ' '))
    message.remove_prefix(1);
  auto end = message.find('\n');
  std::string_view line = message.substr(0, end);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '.'))
    line.remove_suffix(1);
  return std::string(line);
}

}  // namespace certbench
