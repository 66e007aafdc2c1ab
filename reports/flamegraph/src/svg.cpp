// A flame graph of folded stacks as an SVG of its own (no Debian package draws one for C++).
#include "certbench/reports/flamegraph.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <map>

#include "certbench/results/format.hpp"

namespace certbench::reports {
namespace {

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

}  // namespace

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
                    results::percent(static_cast<double>(n.samples) / total));
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

}  // namespace certbench::reports
