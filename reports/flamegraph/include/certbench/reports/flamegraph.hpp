#pragma once
// Profiles as people read them: `perf script` output collapsed into folded stacks (Brendan
// Gregg's format, one "root;caller;callee count" line per distinct stack, which speedscope and
// flamegraph.pl read), a flame graph SVG drawn from them, the functions that take the most time
// (self and total), and what changed between two profiles. Pure functions over text: no perf, no
// files, no database.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace certbench::reports {

/// Samples per distinct stack. A stack is its frames from the root (the thread's name) to the
/// leaf, joined by ';'; no frame contains ';'.
struct FoldedStacks {
  std::map<std::string, std::uint64_t> stacks;
  [[nodiscard]] std::uint64_t samples() const noexcept;
};

/// A symbol as a frame: perf's "+0x1f" offset and a C++ function's parameter list and return type
/// removed (templates and namespaces kept), ';' replaced by ':'. An empty or "[unknown]" symbol
/// becomes the file's name in brackets ("[libc.so.6]"), or "[unknown]" without one.
std::string frame_name(std::string_view symbol, std::string_view dso = {});

/// Collapses `perf script` output (the default fields, or -F comm,tid,…,ip,sym,dso, with call
/// chains) into folded stacks: one sample per event block, the thread's name as the root frame,
/// kernel frames marked with the suffix "_[k]" (as stackcollapse-perf.pl marks them). Lines it
/// does not recognise (perf's own warnings) are skipped.
FoldedStacks collapse_perf_script(std::string_view script);

/// "stack count" lines, sorted by stack, each ending in '\n'.
std::string folded_text(const FoldedStacks& folded);

/// Reads folded stacks ("stack count" per line, blank lines skipped; the same stack twice adds
/// up). Throws InputError naming the line that is not "stack count".
FoldedStacks parse_folded(std::string_view text);

/// What a frame is, for its colour in the flame graph.
enum class FrameKind {
  kernel,     ///< marked "_[k]"
  certbench,  ///< certbench's own code (certbench::…)
  database,   ///< the PostgreSQL client: libpq (PQ…, pq…), libpqxx (pqxx::…)
  cpp,        ///< the C++ library (std::…, __gnu_cxx::…) and the allocator (je_…, operator new/delete)
  other,      ///< C code: the server's functions, libc, unknown frames
};
FrameKind frame_kind(std::string_view frame);

struct FlameGraphOptions {
  std::string title = "Flame graph";
  std::string subtitle;          ///< a second line, e.g. the samples and the rate
  double width = 1200;           ///< pixels
  double frame_height = 16;      ///< pixels per stack level
  double min_width = 0.1;        ///< frames narrower than this (pixels) are left out
};

/// A flame graph of `folded` as a standalone SVG document: the root at the bottom, each frame a
/// rectangle as wide as its share of the samples, callees above their caller, siblings sorted by
/// name (as flamegraph.pl draws them); each rectangle has a <title> (shown on hover) with the
/// frame, its samples and share, and a colour by FrameKind. An empty profile draws only the title.
std::string flame_graph_svg(const FoldedStacks& folded, const FlameGraphOptions& options = {});

/// One function's samples: self (it was the leaf) and total (it was anywhere on the stack,
/// counted once per sample however deep its recursion), and their shares of all samples.
struct FunctionTime {
  std::string name;
  std::uint64_t self = 0, total = 0;
  double self_share = 0, total_share = 0;
};

/// Every function of `folded` (root frames — thread names — left out), by self time descending,
/// then by name.
std::vector<FunctionTime> function_times(const FoldedStacks& folded);

/// The top `n` functions by self time and by total time as a text table (two sections), names cut
/// to `name_width` characters.
std::string top_functions_table(const FoldedStacks& folded, std::size_t n = 15, std::size_t name_width = 90);

/// How one function's shares changed between two profiles (`before` and `after`), in points of
/// share (0.05 = five percentage points).
struct ShareChange {
  std::string name;
  double self_before = 0, self_after = 0, total_before = 0, total_after = 0;
  [[nodiscard]] double self_change() const noexcept { return self_after - self_before; }
  [[nodiscard]] double total_change() const noexcept { return total_after - total_before; }
};

/// Every function in either profile, by how much its self share changed (largest growth first,
/// largest shrink last; ties by name). A function absent from one side has share 0 there.
std::vector<ShareChange> share_changes(const FoldedStacks& before, const FoldedStacks& after);

/// The `n` functions whose self share grew the most and the `n` that shrank the most (changes
/// under a tenth of a point left out), with their total shares, as a text table; `before_name`
/// and `after_name` label the columns.
std::string share_changes_table(const FoldedStacks& before, const FoldedStacks& after, std::string_view before_name,
                                std::string_view after_name, std::size_t n = 10, std::size_t name_width = 80);

}  // namespace certbench::reports
