// certbench worker: run --compare-binary's other side (harness/worker.hpp), on stdin and stdout.
#include <iostream>

#include "certbench/harness/worker.hpp"
#include "commands.hpp"
#include "options.hpp"

namespace certbench::cli {

int worker() {
  std::ios::sync_with_stdio(false);
  return harness::serve_worker(std::cin, std::cout);
}

Command add_worker(CLI::App& app) {
  // Internal, for run --compare-binary: not in the help's list.
  auto* worker_ = app.add_subcommand("worker", "internal: the listing functions behind run --compare-binary's line protocol "
                                              "on stdin and stdout");
  worker_->group("");
  return {worker_, [] { return worker(); }};
}

}  // namespace certbench::cli
