// certbench save as a user meets it: the saved path on stdout, exit codes, one-line refusals that
// write nothing. No database.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "certbench/impl_common/base64.hpp"
#include "support/cluster.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using certbench::testing::run_certbench;
using certbench::testing::has;
using certbench::testing::lines;

namespace {

struct TempDir {
  fs::path path = certbench::sys::make_unique_dir(fs::temp_directory_path(), "certbench-test-cli-save-");
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write(const fs::path& path, const std::string& content) { std::ofstream(path, std::ios::binary) << content; }

std::string base64(const std::string& bytes) { return certbench::impl_common::base64::encode(bytes); }

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(500, 'p');

}  // namespace

TEST(CliSave, SavesWithEveryImplementationAndPrintsThePath) {
  TempDir in, out;
  write(in.path / "plain.b64", base64(kPng) + "\n");  // a text file's final line break is fine
  write(in.path / "url.b64", "data:image/png;base64," + base64(kPng));
  const std::string pdf = std::string("%PDF-1.7\n\0\xff", 11) + std::string(3000, 'c');
  write(in.path / "c.pdf", pdf);
  for (const std::string impl : {"naive", "aiofiles", "thread_pool", "io_uring"}) {
    const std::string dir = out.path.string();
    auto plain = run_certbench({"save", "--impl", impl, "--name", impl + ".png", "--base64-file",
                                (in.path / "plain.b64").string(), "--dir", dir});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(plain.out, (out.path / (impl + ".png")).string() + "\n");
    EXPECT_TRUE(plain.err.empty()) << plain.err;
    EXPECT_EQ(read_all(out.path / (impl + ".png")), kPng);

    auto url = run_certbench({"save", "--impl", impl, "--name", impl + "-url.png", "--base64-file",
                              (in.path / "url.b64").string(), "--dir", dir, "--json", "--fsync"});
    ASSERT_EQ(url.exit_code, 0) << url.err;
    const auto j = nlohmann::json::parse(url.out);
    EXPECT_EQ(j["path"], (out.path / (impl + "-url.png")).string());
    EXPECT_EQ(j["bytes"], kPng.size());
    EXPECT_EQ(j["impl"], impl);
    EXPECT_EQ(read_all(out.path / (impl + "-url.png")), kPng);

    auto file = run_certbench({"save", "--impl", impl, "--name", impl + ".pdf", "--file", (in.path / "c.pdf").string(),
                               "--dir", dir});
    ASSERT_EQ(file.exit_code, 0) << file.err;
    EXPECT_EQ(read_all(out.path / (impl + ".pdf")), pdf);
  }
  EXPECT_EQ(std::distance(fs::directory_iterator(out.path), fs::directory_iterator()), 12);  // three files each
}

TEST(CliSave, RefusedInputExitsTwoWithOneLineAndWritesNothing) {
  TempDir in, out, elsewhere;
  write(in.path / "ok.b64", base64(kPng));
  write(in.path / "jpeg-says-png.b64", "data:image/jpeg;base64," + base64(kPng));
  write(in.path / "bad.b64", base64(kPng).replace(3, 1, "*"));
  write(in.path / "text.b64", base64("not an image at all"));
  write(in.path / "c.pdf", std::string(2000, 'c'));
  write(elsewhere.path / "victim", "precious");
  fs::create_symlink(elsewhere.path / "victim", out.path / "link.png");
  fs::create_symlink(elsewhere.path, in.path / "dir-link");
  const std::string ok = (in.path / "ok.b64").string(), dir = out.path.string();
  const std::vector<std::vector<std::string>> cases = {
      {"--name", "../x.png", "--base64-file", ok, "--dir", dir},
      {"--name", "/tmp/x.png", "--base64-file", ok, "--dir", dir},
      {"--name", ".htaccess", "--base64-file", ok, "--dir", dir},
      {"--name", "x.png", "--base64-file", (in.path / "jpeg-says-png.b64").string(), "--dir", dir},
      {"--name", "x.png", "--base64-file", (in.path / "bad.b64").string(), "--dir", dir},
      {"--name", "x.png", "--base64-file", (in.path / "text.b64").string(), "--dir", dir},
      {"--name", "x.png", "--base64-file", ok, "--dir", dir, "--max-bytes", "100"},
      {"--name", "x.pdf", "--file", (in.path / "c.pdf").string(), "--dir", dir, "--max-bytes", "1999"},
      {"--name", "x.png", "--base64-file", (in.path / "missing.b64").string(), "--dir", dir},
      {"--name", "link.png", "--base64-file", ok, "--dir", dir},
      {"--name", "x.png", "--base64-file", ok, "--dir", (in.path / "no-such-dir").string()},
      {"--name", "x.png", "--base64-file", ok, "--dir", (in.path / "dir-link").string()},
  };
  for (const std::string impl : {"naive", "aiofiles", "thread_pool", "io_uring"}) {
    for (auto args : cases) {
      args.insert(args.begin(), {"save", "--impl", impl});
      auto r = run_certbench(args);
      std::string joined;
      for (const auto& a : args) joined += a + " ";
      EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
      EXPECT_EQ(lines(r.err), 1u) << joined << "\n" << r.err;
      EXPECT_TRUE(r.err.starts_with("certbench: ")) << r.err;
      EXPECT_TRUE(r.out.empty()) << joined;
    }
  }
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(out.path)) left.insert(e.path().filename().string());
  EXPECT_EQ(left, std::set<std::string>{"link.png"}) << "nothing written, no temporary left";
  EXPECT_EQ(read_all(elsewhere.path / "victim"), "precious");
  EXPECT_EQ(std::distance(fs::directory_iterator(elsewhere.path), fs::directory_iterator()), 1);
}

TEST(CliSave, BadUsageExitsTwoWithTheUsageLine) {
  TempDir in;
  write(in.path / "ok.b64", base64(kPng));
  const std::string ok = (in.path / "ok.b64").string(), dir = in.path.string();
  const std::vector<std::vector<std::string>> cases = {
      {"save"},
      {"save", "--name", "x.png", "--dir", dir},
      {"save", "--name", "x.png", "--base64-file", ok},
      {"save", "--name", "x.png", "--base64-file", ok, "--file", ok, "--dir", dir},
      {"save", "--impl", "fastest", "--name", "x.png", "--base64-file", ok, "--dir", dir},
      {"save", "--name", "x.png", "--base64-file", ok, "--dir", dir, "--max-bytes", "0"},
  };
  for (const auto& args : cases) {
    auto r = run_certbench(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(r.exit_code, 2) << joined << "\n" << r.err;
    EXPECT_EQ(lines(r.err), 2u) << joined << "\n" << r.err;
    EXPECT_TRUE(has(r.err, "usage: certbench save")) << joined << "\n" << r.err;
    EXPECT_TRUE(r.out.empty()) << joined;
  }
  auto help = run_certbench({"save", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* word : {"--impl", "--name", "--base64-file", "--file", "--dir", "--max-bytes", "--fsync", "--json"})
    EXPECT_TRUE(has(help.out, word)) << word;
  EXPECT_TRUE(has(run_certbench({"--help"}).out, "save"));
}

// Exit 3 needs a disk that fails, as root too: sysfs refuses to create files for everyone, and
// RLIMIT_FSIZE (set by prlimit, inherited by certbench) binds root as well.
TEST(CliSave, AFailingDiskExitsThree) {
  TempDir in, out;
  write(in.path / "c.pdf", std::string(100'000, 'c'));
  const std::string pdf = (in.path / "c.pdf").string();
  if (fs::is_directory("/sys/kernel")) {
    for (const std::string impl : {"naive", "aiofiles", "thread_pool", "io_uring"}) {
      auto r = run_certbench({"save", "--impl", impl, "--name", "x.pdf", "--file", pdf, "--dir", "/sys/kernel"});
      EXPECT_EQ(r.exit_code, 3) << impl << ": " << r.err;
      EXPECT_EQ(lines(r.err), 1u) << r.err;
      EXPECT_TRUE(has(r.err, "/sys/kernel/x.pdf")) << r.err;
      EXPECT_TRUE(r.out.empty());
    }
  }
  if (!fs::exists("/usr/bin/prlimit")) GTEST_SKIP() << "prlimit (util-linux) is not installed";
  for (const std::string impl : {"naive", "aiofiles", "thread_pool", "io_uring"}) {
    auto r = certbench::sys::run_capture({"/usr/bin/prlimit", "--fsize=4096", CERTBENCH_BINARY, "save", "--impl", impl,
                                          "--name", "x.pdf", "--file", pdf, "--dir", out.path.string()});
    EXPECT_EQ(r.exit_code, 3) << impl << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_TRUE(has(r.err, std::strerror(EFBIG))) << r.err;
  }
  EXPECT_TRUE(fs::is_empty(out.path)) << "the temporary files are gone";
}
