// The decode of an image save's payload (a 200 kB PNG as a 267 kB data URL, the harness's own), by
// OpenSSL's EVP_DecodeBlock (without the form checks certbench's decoder makes) and by each kernel
// of impl_common::base64 that this CPU runs. Bytes per second are of the base64 text.
//   bench_base64 [--benchmark_* options]
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cstdint>
#include <string>

#include "bench_main.hpp"
#include "certbench/harness/save_run.hpp"
#include "certbench/impl_common/base64.hpp"

namespace {

using namespace certbench;

const std::string& payload() {
  static const std::string text = [] {
    const std::string url = harness::realistic_png_data_url(200'000);
    return url.substr(url.find(',') + 1);
  }();
  return text;
}

void openssl_decode_block(benchmark::State& state) {
  const std::string& text = payload();
  std::string out(text.size() / 4 * 3, '\0');
  for (auto _ : state) {
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) state.SkipWithError("OpenSSL refused the payload");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(openssl_decode_block)->Unit(benchmark::kMicrosecond);

void kernel_decode(benchmark::State& state, impl_common::base64::Kernel kernel) {
  const std::string& text = payload();
  std::string out;
  for (auto _ : state) {
    if (!impl_common::base64::decode(text, out, kernel)) state.SkipWithError("the kernel refused the payload");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}

void register_kernels() {
  for (const auto kernel : impl_common::base64::kernels())
    if (impl_common::base64::runs_here(kernel))
      benchmark::RegisterBenchmark(("base64_decode/" + std::string(impl_common::base64::name(kernel))).c_str(), kernel_decode,
                                   kernel)
          ->Unit(benchmark::kMicrosecond);
}

}  // namespace

int main(int argc, char** argv) {
  return bench::run_main({.name = "bench_base64", .register_benchmarks = register_kernels}, argc, argv);
}
