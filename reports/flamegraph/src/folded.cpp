// perf script's text collapsed into folded stacks (Brendan Gregg's format), and back.
#include "certbench/reports/flamegraph.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>

#include "certbench/core/errors.hpp"

namespace certbench::reports {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// "f(int) const [clone .cold]" -> "f": qualifiers and clone suffixes, then the parameter list (the
// last balanced parenthesised group), then a template instantiation's return type ("void f<T>").
void strip_signature(std::string& s) {
  for (bool changed = true; changed;) {
    changed = false;
    if (ends_with(s, "]")) {
      if (const auto clone = s.rfind(" [clone "); clone != std::string::npos) {
        s.resize(clone);
        changed = true;
      }
    }
    for (std::string_view q : {" const", " volatile", " &&", " &", " noexcept"})
      if (ends_with(s, q)) {
        s.resize(s.size() - q.size());
        changed = true;
      }
  }
  if (ends_with(s, ")")) {
    int depth = 0;
    for (std::size_t i = s.size(); i-- > 0;) {
      if (s[i] == ')') ++depth;
      else if (s[i] == '(' && --depth == 0) {
        if (i > 0) s.resize(i);
        break;
      }
    }
  }
  if (s.find("operator") != std::string::npos) return;  // "operator new", "operator<<": no return type to find
  int depth = 0;
  std::size_t last_space = std::string::npos;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '<' || c == '(' || c == '{' || c == '[') ++depth;
    else if (c == '>' || c == ')' || c == '}' || c == ']') --depth;
    else if (c == ' ' && depth == 0) last_space = i;
  }
  if (last_space != std::string::npos && last_space + 1 < s.size()) s.erase(0, last_space + 1);
}

std::string basename(std::string_view path) {
  if (starts_with(path, "[") && ends_with(path, "]")) path = path.substr(1, path.size() - 2);
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// The thread's name of a header line: the text before the first number that is followed by a
// blank or a '/' (perf prints "comm tid" or "comm pid/tid"; a name may hold blanks); "" when the
// line has no such number (it is not a sample's header).
std::string header_comm(std::string_view line) {
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    if (!std::isspace(static_cast<unsigned char>(line[i])) || !std::isdigit(static_cast<unsigned char>(line[i + 1])))
      continue;
    std::size_t j = i + 1;
    while (j < line.size() && std::isdigit(static_cast<unsigned char>(line[j]))) ++j;
    if (j == line.size() || line[j] == '/' || std::isspace(static_cast<unsigned char>(line[j]))) {
      const auto comm = trim(line.substr(0, i));
      return comm.empty() ? "[unknown]" : frame_name(comm);
    }
  }
  return {};
}

// "    55d5d5 ExecSeqScan+0x12 (/usr/lib/postgresql/15/bin/postgres)" -> "ExecSeqScan".
std::string chain_frame(std::string_view line) {
  line = trim(line);
  const auto space = line.find(' ');
  std::string_view rest = space == std::string_view::npos ? std::string_view() : trim(line.substr(space + 1));
  std::string_view symbol = rest, dso;
  if (ends_with(rest, ")"))
    if (const auto open = rest.rfind(" ("); open != std::string_view::npos) {
      symbol = rest.substr(0, open);
      dso = rest.substr(open + 2, rest.size() - open - 3);
    }
  std::string name = frame_name(symbol, dso);
  if (starts_with(dso, "[kernel")) name += "_[k]";
  return name;
}

}  // namespace

std::uint64_t FoldedStacks::samples() const noexcept {
  std::uint64_t n = 0;
  for (const auto& [stack, count] : stacks) n += count;
  return n;
}

std::string frame_name(std::string_view symbol, std::string_view dso) {
  std::string s(trim(symbol));
  if (const auto plus = s.rfind("+0x"); plus != std::string::npos && is_hex(std::string_view(s).substr(plus + 3)))
    s.resize(plus);
  if (s.empty() || s == "[unknown]") {
    dso = trim(dso);
    return dso.empty() || dso == "[unknown]" ? "[unknown]" : "[" + basename(dso) + "]";
  }
  strip_signature(s);
  std::replace(s.begin(), s.end(), ';', ':');
  return s;
}

FoldedStacks collapse_perf_script(std::string_view script) {
  FoldedStacks out;
  bool in_sample = false;
  std::string comm;
  std::vector<std::string> frames;  // leaf first, as perf prints them
  auto flush = [&] {
    if (!in_sample) return;
    std::string stack = comm;
    for (auto it = frames.rbegin(); it != frames.rend(); ++it) stack += ";" + *it;
    ++out.stacks[stack];
    in_sample = false;
    frames.clear();
  };
  std::size_t start = 0;
  while (start < script.size()) {
    auto end = script.find('\n', start);
    if (end == std::string_view::npos) end = script.size();
    const std::string_view line = script.substr(start, end - start);
    start = end + 1;
    if (trim(line).empty()) {
      flush();
    } else if (!std::isspace(static_cast<unsigned char>(line.front()))) {
      flush();
      // A sample's header ends with its event ("cpu-clock:"); anything else is perf talking.
      if (ends_with(trim(line), ":")) {
        comm = header_comm(line);
        in_sample = !comm.empty();
      }
    } else if (in_sample) {
      const auto t = trim(line);
      if (is_hex(t.substr(0, t.find(' ')))) frames.push_back(chain_frame(line));
    }
  }
  flush();
  return out;
}

std::string folded_text(const FoldedStacks& folded) {
  std::string out;
  for (const auto& [stack, count] : folded.stacks) out += fmt::format("{} {}\n", stack, count);
  return out;
}

FoldedStacks parse_folded(std::string_view text) {
  FoldedStacks out;
  std::size_t start = 0, number = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const auto line = trim(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (line.empty()) continue;
    const auto space = line.rfind(' ');
    const auto count = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    const auto stack = space == std::string_view::npos ? std::string_view() : trim(line.substr(0, space));
    if (stack.empty() || count.empty() ||
        !std::all_of(count.begin(), count.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        count.size() > 18)
      throw InputError(fmt::format("folded stacks, line {}: not \"frame;frame;... count\"", number));
    out.stacks[std::string(stack)] += std::stoull(std::string(count));
  }
  return out;
}

FrameKind frame_kind(std::string_view frame) {
  if (ends_with(frame, "_[k]")) return FrameKind::kernel;
  if (starts_with(frame, "certbench::")) return FrameKind::certbench;
  if (starts_with(frame, "pqxx::") || starts_with(frame, "PQ") || starts_with(frame, "pq") ||
      starts_with(frame, "[libpq.so") || starts_with(frame, "[libpqxx"))
    return FrameKind::database;
  if (starts_with(frame, "std::") || starts_with(frame, "__gnu_cxx::") || starts_with(frame, "__cxx") ||
      starts_with(frame, "operator new") || starts_with(frame, "operator delete") || starts_with(frame, "je_") ||
      starts_with(frame, "[libstdc++") || starts_with(frame, "[libjemalloc"))
    return FrameKind::cpp;
  return FrameKind::other;
}

}  // namespace certbench::reports
