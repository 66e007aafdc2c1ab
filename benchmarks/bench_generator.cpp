// The client side of seeding: how fast the deterministic generator produces COPY data, per
// table. `scripts/bench-seed` measures the whole seed against pgbench; this isolates our share.
#include <benchmark/benchmark.h>

#include "bench_main.hpp"
#include "certbench/fixtures/generator.hpp"

namespace {

using certbench::fixtures::DatasetSpec;
using certbench::fixtures::Generator;

void generate_table(benchmark::State& state, std::size_t table_index) {
  DatasetSpec spec;
  spec.scale = static_cast<std::uint64_t>(state.range(0));
  const Generator generator(spec);
  const auto& table = generator.tables()[table_index];
  const std::uint64_t rows = std::min<std::uint64_t>(table.rows, 2048);
  std::string out;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    out.clear();
    generator.append_rows(table, 0, rows, out);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(rows));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetLabel(std::string(table.name));
}

void register_all() {
  const Generator probe(DatasetSpec{1000, 42, {}});
  for (std::size_t i = 0; i < probe.tables().size(); ++i) {
    benchmark::RegisterBenchmark(("generate_rows/" + std::string(probe.tables()[i].name)).c_str(),
                                 [i](benchmark::State& s) { generate_table(s, i); })
        ->ArgName("scale")
        ->Arg(1000)
        ->Arg(1000000);
  }
}

}  // namespace

int main(int argc, char** argv) {
  return certbench::bench::run_main({.name = "bench_generator", .register_benchmarks = register_all}, argc, argv);
}
