#include "certbench/reports/flamegraph.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <set>

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

struct Node {
  std::string name;
  std::uint64_t samples = 0;
  std::map<std::string, std::size_t> children;  // by name: siblings drawn in name order
};

std::vector<Node> build_tree(const FoldedStacks& folded) {
  std::vector<Node> nodes(1);
  nodes[0].name = "all";
  for (const auto& [stack, count] : folded.stacks) {
    std::size_t at = 0;
    nodes[0].samples += count;
    std::size_t start = 0;
    while (start <= stack.size()) {
      const auto end = std::min(stack.find(';', start), stack.size());
      std::string frame = stack.substr(start, end - start);
      auto it = nodes[at].children.find(frame);
      std::size_t child;
      if (it == nodes[at].children.end()) {
        child = nodes.size();
        nodes[at].children.emplace(frame, child);
        nodes.push_back(Node{std::move(frame), 0, {}});
      } else {
        child = it->second;
      }
      nodes[child].samples += count;
      at = child;
      start = end + 1;
    }
  }
  return nodes;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
    }
  }
  return out;
}

// A colour per kind, varied a little by the name's hash so that neighbours stand apart (as
// flamegraph.pl does), the same name always the same colour.
std::string colour(std::string_view frame) {
  std::uint32_t h = 2166136261u;
  for (char c : frame) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  const double v = static_cast<double>(h % 1000) / 1000.0;
  auto rgb = [](double r, double g, double b) {
    return fmt::format("rgb({},{},{})", static_cast<int>(r), static_cast<int>(g), static_cast<int>(b));
  };
  switch (frame_kind(frame)) {
    case FrameKind::kernel: return rgb(200 + 40 * v, 110 + 50 * v, 20 + 30 * v);     // orange
    case FrameKind::certbench: return rgb(60 + 60 * v, 180 + 50 * v, 60 + 50 * v);   // green
    case FrameKind::database: return rgb(70 + 50 * v, 170 + 40 * v, 210 + 40 * v);   // aqua
    case FrameKind::cpp: return rgb(200 + 40 * v, 190 + 40 * v, 60 + 40 * v);        // yellow
    case FrameKind::other: break;
  }
  return rgb(205 + 50 * v, 60 + 120 * v, 50 + 30 * v);  // red: C code, the server's functions
}

std::string cut(std::string_view name, std::size_t width) {
  if (name.size() <= width || width < 4) return std::string(name);
  return std::string(name.substr(0, width - 3)) + "...";
}

std::string percent(double share) { return fmt::format("{:.1f}%", 100 * share); }

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
      frame == "[libpq.so.5]" || starts_with(frame, "[libpqxx"))
    return FrameKind::database;
  if (starts_with(frame, "std::") || starts_with(frame, "__gnu_cxx::") || starts_with(frame, "__cxx") ||
      starts_with(frame, "operator new") || starts_with(frame, "operator delete") || starts_with(frame, "je_") ||
      starts_with(frame, "[libstdc++") || starts_with(frame, "[libjemalloc"))
    return FrameKind::cpp;
  return FrameKind::other;
}

std::string flame_graph_svg(const FoldedStacks& folded, const FlameGraphOptions& options) {
  const auto nodes = build_tree(folded);
  const double total = static_cast<double>(nodes[0].samples);
  const double fh = options.frame_height, width = options.width, pad = 10;
  const double inner = width - 2 * pad;
  // Depth of the deepest frame wide enough to draw.
  std::size_t depth = 0;
  struct Item {
    std::size_t node, level;
    double x;  // in samples
  };
  std::vector<Item> drawn;
  std::vector<Item> todo{{0, 0, 0}};
  while (!todo.empty()) {
    const Item item = todo.back();
    todo.pop_back();
    const auto& n = nodes[item.node];
    if (total == 0 || static_cast<double>(n.samples) / total * inner < options.min_width) continue;
    drawn.push_back(item);
    depth = std::max(depth, item.level);
    double x = item.x;
    for (const auto& [name, child] : n.children) {
      todo.push_back({child, item.level + 1, x});
      x += static_cast<double>(nodes[child].samples);
    }
  }
  const double top = 62, height = top + static_cast<double>(depth + 1) * fh + pad + 4;
  std::string svg = fmt::format(
      "<?xml version=\"1.0\" standalone=\"no\"?>\n"
      "<svg version=\"1.1\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" xmlns=\"http://www.w3.org/2000/svg\">\n"
      "<style>text {{ font-family: Verdana, sans-serif; font-size: 12px; fill: rgb(0,0,0); }} "
      "rect:hover {{ stroke: black; stroke-width: 0.5; }}</style>\n"
      "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"rgb(248,248,248)\"/>\n"
      "<text x=\"{2}\" y=\"22\" text-anchor=\"middle\" style=\"font-size:16px\">{3}</text>\n"
      "<text x=\"{2}\" y=\"40\" text-anchor=\"middle\">{4}</text>\n",
      width, height, width / 2, xml_escape(options.title), xml_escape(options.subtitle));
  // The legend: what the colours mean.
  double lx = pad;
  for (const auto& [kind, label] : std::vector<std::pair<std::string, std::string>>{{"certbench::x", "certbench"},
                                                                                   {"pqxx::x", "libpq/libpqxx"},
                                                                                   {"std::x", "C++ library, allocator"},
                                                                                   {"x", "C (server, libc)"},
                                                                                   {"x_[k]", "kernel"}}) {
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"48\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1f}\" "
                       "y=\"57\" style=\"font-size:10px\">{}</text>\n",
                       lx, colour(kind), lx + 13, label);
    lx += 13 + 6.5 * static_cast<double>(label.size()) + 14;
  }
  for (const auto& item : drawn) {
    const auto& n = nodes[item.node];
    const double x = pad + item.x / total * inner, w = static_cast<double>(n.samples) / total * inner;
    const double y = height - pad - static_cast<double>(item.level + 1) * fh;
    const std::string title =
        fmt::format("{} ({} sample{}, {})", n.name, n.samples, n.samples == 1 ? "" : "s",
                    percent(static_cast<double>(n.samples) / total));
    svg += fmt::format("<g><title>{}</title><rect x=\"{:.2f}\" y=\"{:.1f}\" width=\"{:.2f}\" height=\"{:.1f}\" "
                       "fill=\"{}\" rx=\"2\" ry=\"2\"/>",
                       xml_escape(title), x, y, w, fh - 1, item.node == 0 ? "rgb(220,220,220)" : colour(n.name));
    const auto fits = static_cast<std::size_t>(std::max(0.0, (w - 6) / 7.0));
    if (fits >= 3)
      svg += fmt::format("<text x=\"{:.2f}\" y=\"{:.1f}\">{}</text>", x + 3, y + fh - 4.5,
                         xml_escape(n.name.size() <= fits ? n.name : n.name.substr(0, fits - 2) + ".."));
    svg += "</g>\n";
  }
  svg += "</svg>\n";
  return svg;
}

std::vector<FunctionTime> function_times(const FoldedStacks& folded) {
  std::map<std::string, FunctionTime> by_name;
  std::set<std::string_view> seen;
  std::vector<std::string_view> frames;
  for (const auto& [stack, count] : folded.stacks) {
    frames.clear();
    std::size_t start = 0;
    while (start <= stack.size()) {
      const auto end = std::min(stack.find(';', start), stack.size());
      frames.push_back(std::string_view(stack).substr(start, end - start));
      start = end + 1;
    }
    if (frames.size() < 2) continue;  // a thread's name alone: no function
    seen.clear();
    for (std::size_t i = 1; i < frames.size(); ++i)
      if (seen.insert(frames[i]).second) {
        auto& f = by_name[std::string(frames[i])];
        f.total += count;
      }
    by_name[std::string(frames.back())].self += count;
  }
  const double total = static_cast<double>(folded.samples());
  std::vector<FunctionTime> out;
  out.reserve(by_name.size());
  for (auto& [name, f] : by_name) {
    f.name = name;
    f.self_share = total > 0 ? static_cast<double>(f.self) / total : 0;
    f.total_share = total > 0 ? static_cast<double>(f.total) / total : 0;
    out.push_back(std::move(f));
  }
  std::stable_sort(out.begin(), out.end(), [](const FunctionTime& a, const FunctionTime& b) { return a.self > b.self; });
  return out;
}

std::string top_functions_table(const FoldedStacks& folded, std::size_t n, std::size_t name_width) {
  auto times = function_times(folded);
  std::string out = fmt::format("{} samples\nby self time:\n  {:>6}  {:>6}  function\n", folded.samples(), "self", "total");
  for (std::size_t i = 0; i < std::min(n, times.size()); ++i)
    out += fmt::format("  {:>6}  {:>6}  {}\n", percent(times[i].self_share), percent(times[i].total_share),
                       cut(times[i].name, name_width));
  std::stable_sort(times.begin(), times.end(),
                   [](const FunctionTime& a, const FunctionTime& b) { return a.total > b.total; });
  out += fmt::format("by total time (with its callees):\n  {:>6}  {:>6}  function\n", "total", "self");
  for (std::size_t i = 0; i < std::min(n, times.size()); ++i)
    out += fmt::format("  {:>6}  {:>6}  {}\n", percent(times[i].total_share), percent(times[i].self_share),
                       cut(times[i].name, name_width));
  return out;
}

std::vector<ShareChange> share_changes(const FoldedStacks& before, const FoldedStacks& after) {
  std::map<std::string, ShareChange> by_name;
  for (const auto& f : function_times(before)) {
    auto& c = by_name[f.name];
    c.self_before = f.self_share;
    c.total_before = f.total_share;
  }
  for (const auto& f : function_times(after)) {
    auto& c = by_name[f.name];
    c.self_after = f.self_share;
    c.total_after = f.total_share;
  }
  std::vector<ShareChange> out;
  out.reserve(by_name.size());
  for (auto& [name, c] : by_name) {
    c.name = name;
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ShareChange& a, const ShareChange& b) { return a.self_change() > b.self_change(); });
  return out;
}

std::string share_changes_table(const FoldedStacks& before, const FoldedStacks& after, std::string_view before_name,
                                std::string_view after_name, std::size_t n, std::size_t name_width) {
  const auto changes = share_changes(before, after);
  constexpr double kMin = 0.001;
  auto row = [&](const ShareChange& c) {
    return fmt::format("  {:>+7.1f}  {:>6} -> {:>6}   {:>6} -> {:>6}  {}\n", 100 * c.self_change(),
                       percent(c.self_before), percent(c.self_after), percent(c.total_before), percent(c.total_after),
                       cut(c.name, name_width));
  };
  const std::string header = fmt::format("  {:>7}  {:>16}   {:>16}  function\n", "points", "self share", "total share");
  std::string out = fmt::format("shares of samples, {} ({} samples) -> {} ({} samples)\ngrew the most:\n{}",
                                before_name, before.samples(), after_name, after.samples(), header);
  std::size_t shown = 0;
  for (const auto& c : changes)
    if (shown < n && c.self_change() >= kMin) {
      out += row(c);
      ++shown;
    }
  if (shown == 0) out += "  (none)\n";
  out += "shrank the most:\n" + header;
  shown = 0;
  for (auto it = changes.rbegin(); it != changes.rend(); ++it)
    if (shown < n && it->self_change() <= -kMin) {
      out += row(*it);
      ++shown;
    }
  if (shown == 0) out += "  (none)\n";
  return out;
}

}  // namespace certbench::reports
