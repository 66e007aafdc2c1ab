// certbench worker: run --compare-binary's other side (harness/worker.hpp), on stdin and stdout.
#include <iostream>

#include "certbench/harness/worker.hpp"
#include "commands.hpp"

namespace certbench::cli {

int worker() {
  std::ios::sync_with_stdio(false);
  return harness::serve_worker(std::cin, std::cout);
}

}  // namespace certbench::cli
