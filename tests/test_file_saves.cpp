// The file-save functions: one contract suite run against every implementation (same inputs, same
// files, same refusals), the atomic write's guarantees under failure and under concurrent readers,
// and the offload's stages. What a save checks before it writes: test_save_payloads.cpp. Nothing
// here asserts on speed.
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <optional>
#include <future>
#include <set>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "certbench/core/errors.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/file_save_functions.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "certbench/impl_common/offload.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/impl_common/base64.hpp"
#include "support/save_payloads.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace certbench;

namespace {

using certbench::testing::base64;
using certbench::testing::data_url;
using certbench::testing::entries;
using certbench::testing::image_bytes;
using certbench::testing::input_error;
using certbench::testing::read_all;
using certbench::testing::TempDir;

// One implementation on its own loop; each call runs the loop until the save is done.
struct Saver {
  explicit Saver(const std::string& impl, const fs::path& dir, SaveOptions options = {})
      : saves(harness::make_file_saves(impl, io, dir, std::move(options))) {}

  SavedFile image(const std::string& name, const std::string& payload) {
    return run([&] { return saves->save_base64_image(name, payload); });
  }
  SavedFile file(const std::string& name, const std::string& bytes) {
    return run([&] { return saves->save_certificate_file(name, bytes); });
  }
  template <typename Start>
  SavedFile run(Start start) {
    SavedFile saved;
    std::exception_ptr error;
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { saved = co_await start(); },
        [&](std::exception_ptr e) { error = std::move(e); });
    io.restart();
    io.run();
    if (error) std::rethrow_exception(error);
    return saved;
  }

  asio::io_context io;  // declared first: destroyed after the implementation
  std::unique_ptr<impl_common::FileSaveFunctions> saves;
};

class FileSaveContract : public ::testing::TestWithParam<std::string> {
 protected:
  TempDir dir;
  Saver saver{GetParam(), dir.path};
};

INSTANTIATE_TEST_SUITE_P(Implementations, FileSaveContract,
                         ::testing::ValuesIn(std::vector<std::string>(harness::file_save_implementations().begin(),
                                                                      harness::file_save_implementations().end())),
                         [](const ::testing::TestParamInfo<std::string>& param) { return param.param; });

}  // namespace

TEST_P(FileSaveContract, SavesPlainBase64AndDataUrlsByteForByte) {
  EXPECT_EQ(saver.saves->name(), GetParam());
  std::set<std::string> expected;
  for (std::string_view type : impl_common::known_image_types()) {
    const std::string bytes = image_bytes(type, 3000 + type.size());
    const std::string stem(type.substr(6));
    const auto plain = saver.image(stem + "-plain", base64(bytes));
    EXPECT_EQ(plain.path, dir.path / (stem + "-plain"));
    EXPECT_EQ(plain.bytes, bytes.size());
    EXPECT_EQ(read_all(plain.path), bytes);
    const auto url = saver.image(stem + "-url", data_url(type, bytes));
    EXPECT_EQ(url.bytes, bytes.size());
    EXPECT_EQ(read_all(url.path), bytes);
    expected.insert({stem + "-plain", stem + "-url"});
  }
  // Scheme and type are case-insensitive (RFC 2397).
  const std::string png = image_bytes("image/png", 100);
  saver.image("upper.png", "DATA:Image/PNG;BASE64," + base64(png));
  EXPECT_EQ(read_all(dir.path / "upper.png"), png);
  expected.insert("upper.png");

  const std::string pdf = "%PDF-1.4\n\0\xff binary certificate\n";
  const auto cert = saver.file("certificate.pdf", pdf);
  EXPECT_EQ(cert, (SavedFile{dir.path / "certificate.pdf", pdf.size()}));
  EXPECT_EQ(read_all(cert.path), pdf);
  saver.file("empty.pdf", "");
  EXPECT_EQ(fs::file_size(dir.path / "empty.pdf"), 0u);
  expected.insert({"certificate.pdf", "empty.pdf"});
  EXPECT_EQ(entries(dir.path), expected) << "no temporary file left behind";
}

TEST_P(FileSaveContract, AcceptsEveryPlainName) {
  const std::string longest(impl_common::kMaxFileNameBytes, 'n');
  for (const std::string& name :
       std::vector<std::string>{"a", "certificate 2024 (1).pdf", "Zertifikat-M\xc3\xbcller.pdf", "a.b.c", longest})
    EXPECT_EQ(saver.file(name, "x").path, dir.path / name) << name;
  EXPECT_EQ(entries(dir.path).size(), 5u);
}

TEST_P(FileSaveContract, RefusesBadNamesAndWritesNothing) {
  const std::string png = base64(image_bytes("image/png", 64));
  const std::vector<std::string> names = {
      "", ".", "..", "../escape.png", "a/../b.png", "a..b.png", "sub/x.png", "/etc/passwd", "a\\b.png",
      std::string("a\0b.png", 7), "line\nbreak.png", "tab\t.png", "del\x7f.png", std::string(256, 'n'),
      ".htaccess", ".x.ABCDEF.tmp"};
  for (const auto& name : names) {
    for (const bool image : {true, false}) {
      const std::string message = input_error([&] { image ? saver.image(name, png) : saver.file(name, "x"); });
      EXPECT_FALSE(message.empty()) << name;
      EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
    }
  }
  EXPECT_TRUE(entries(dir.path).empty());
  EXPECT_TRUE(fs::exists(fs::temp_directory_path())) << "../escape.png went nowhere";
}

TEST_P(FileSaveContract, RefusesInvalidPayloadsAndWritesNothing) {
  const std::string png = image_bytes("image/png", 200);
  const std::string good = base64(png);  // 200 bytes: "...=" padded
  ASSERT_TRUE(good.ends_with("=")) << good;
  const std::string unpadded = good.substr(0, good.find('='));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a character outside the alphabet", good.substr(0, 8) + "*" + good.substr(9)},
      {"a byte outside ASCII", good.substr(0, 8) + "\xc3\xa9" + good.substr(10)},
      {"a control character", good.substr(0, 8) + "\x01" + good.substr(9)},
      {"missing padding", unpadded},
      {"too much padding", good + "=="},
      {"data after the padding", good + "AAAA"},
      {"a lone '=' group", "===="},
      {"a '=' inside (OpenSSL's block decoder would take it as zero bits)", good.substr(0, 8) + "=" + good.substr(9)},
      {"whitespace inside", good.substr(0, 8) + " " + good.substr(8)},
      {"a line break inside", good.substr(0, 76) + "\n" + good.substr(76)},
      {"'-' inside (OpenSSL would stop there)", good.substr(0, 12) + "-" + good.substr(12)},
      {"'-' after the data (OpenSSL would ignore the rest)", good + "-trailing junk"},
      {"url-safe alphabet", "iVBORw0KGgo_-AAA"},
      {"empty", ""},
      {"empty data URL", "data:image/png;base64,"},
      {"not base64 in a data URL", "data:image/png," + good},
      {"a parameter in a data URL", "data:image/png;charset=utf-8;base64," + good},
      {"not an image type", "data:text/plain;base64," + good},
      {"a type not allowed", "data:image/svg+xml;base64," + base64("<svg/>")},
      {"a data URL with no comma", "data:image/png;base64"},
      {"magic of another type", data_url("image/jpeg", png)},
      {"no magic at all", data_url("image/png", "just some text, not a png")},
      {"plain base64 of no known type", base64("just some text, not an image")},
  };
  for (const auto& [what, payload] : cases) {
    const std::string message = input_error([&] { saver.image("x.png", payload); });
    EXPECT_FALSE(message.empty()) << what;
    EXPECT_EQ(message.find('\n'), std::string::npos) << what << ": one line: " << message;
  }
  EXPECT_TRUE(entries(dir.path).empty());
}

TEST_P(FileSaveContract, SizeCapOnTheEncodedLengthAndOnTheBytes) {
  TempDir capped_dir;
  SaveOptions options;
  options.max_bytes = 1000;
  Saver capped(GetParam(), capped_dir.path, options);
  const std::string at_cap = image_bytes("image/gif", 1000);
  EXPECT_EQ(capped.image("at-cap.gif", base64(at_cap)).bytes, 1000u);
  EXPECT_EQ(capped.file("at-cap.pdf", std::string(1000, 'p')).bytes, 1000u);

  // 1001 bytes encode to 1336 characters, which is also the encoding of 1000 (rounded up to a
  // whole group): refused after decoding, by the byte count.
  EXPECT_NE(input_error([&] { capped.image("over.gif", base64(image_bytes("image/gif", 1001))); }).find("1001 bytes"),
            std::string::npos);
  // Longer than any encoding of 1000 bytes: refused before decoding (this payload is not even
  // valid base64, and the message is the cap's).
  const std::string huge = std::string(impl_common::max_base64_length(1000) + 4, '*');
  EXPECT_NE(input_error([&] { capped.image("over.gif", huge); }).find("size cap"), std::string::npos);
  EXPECT_NE(input_error([&] { capped.image("over.gif", "data:image/gif;base64," + huge); }).find("size cap"),
            std::string::npos);
  EXPECT_NE(input_error([&] { capped.file("over.pdf", std::string(1001, 'p')); }).find("size cap"),
            std::string::npos);
  EXPECT_EQ(entries(capped_dir.path), (std::set<std::string>{"at-cap.gif", "at-cap.pdf"}));
}

TEST_P(FileSaveContract, AllowListIsConfigurable) {
  TempDir png_only_dir;
  SaveOptions options;
  options.allowed_image_types = {"image/png"};
  Saver png_only(GetParam(), png_only_dir.path, options);
  png_only.image("ok.png", base64(image_bytes("image/png", 50)));
  for (const auto& payload : {base64(image_bytes("image/jpeg", 50)), data_url("image/jpeg", image_bytes("image/jpeg", 50))})
    EXPECT_NE(input_error([&] { png_only.image("no.jpg", payload); }).find("not allowed"), std::string::npos);
  EXPECT_EQ(entries(png_only_dir.path), std::set<std::string>{"ok.png"});
}

TEST_P(FileSaveContract, ReplacesAnExistingFile) {
  saver.file("c.pdf", "old contents");
  saver.file("c.pdf", "new");
  EXPECT_EQ(read_all(dir.path / "c.pdf"), "new");
  EXPECT_EQ(entries(dir.path), std::set<std::string>{"c.pdf"});
}

TEST_P(FileSaveContract, NeverFollowsASymlinkAtTheTarget) {
  TempDir elsewhere;
  const fs::path victim = elsewhere.path / "victim";
  { std::ofstream(victim) << "precious"; }
  fs::create_symlink(victim, dir.path / "a.png");
  fs::create_symlink(elsewhere.path / "not-there", dir.path / "dangling.pdf");
  fs::create_directory(dir.path / "subdir.pdf");

  const std::string png = base64(image_bytes("image/png", 64));
  EXPECT_NE(input_error([&] { saver.image("a.png", png); }).find("symbolic link"), std::string::npos);
  EXPECT_NE(input_error([&] { saver.file("a.png", "evil"); }).find("symbolic link"), std::string::npos);
  EXPECT_NE(input_error([&] { saver.file("dangling.pdf", "evil"); }).find("symbolic link"), std::string::npos);
  EXPECT_NE(input_error([&] { saver.file("subdir.pdf", "evil"); }).find("directory"), std::string::npos);

  EXPECT_EQ(read_all(victim), "precious");
  EXPECT_TRUE(fs::is_symlink(dir.path / "a.png"));
  EXPECT_FALSE(fs::exists(elsewhere.path / "not-there"));
  EXPECT_EQ(entries(dir.path), (std::set<std::string>{"a.png", "dangling.pdf", "subdir.pdf"}));
  EXPECT_EQ(entries(elsewhere.path), std::set<std::string>{"victim"});
}

TEST_P(FileSaveContract, RefusesATargetDirectoryThatIsNotOne) {
  TempDir parent;
  const fs::path real = parent.path / "real";
  fs::create_directory(real);
  fs::create_symlink(real, parent.path / "link");
  { std::ofstream(parent.path / "file") << "x"; }
  for (const fs::path& target : {parent.path / "missing", parent.path / "file", parent.path / "link"}) {
    Saver s(GetParam(), target);
    const std::string message = input_error([&] { s.file("c.pdf", "x"); });
    EXPECT_NE(message.find(target.string()), std::string::npos) << message;
  }
  EXPECT_TRUE(fs::is_empty(real)) << "nothing written through the link";
}

TEST_P(FileSaveContract, ManySavesInFlightOnOneLoop) {
  constexpr int kSaves = 40;
  int done = 0;
  std::exception_ptr error;
  for (int i = 0; i < kSaves; ++i) {
    asio::co_spawn(
        saver.io,
        [&, i]() -> asio::awaitable<void> {
          const std::string name = "f" + std::to_string(i);
          const std::string bytes = image_bytes("image/png", 1000 + static_cast<std::size_t>(i) * 100);
          SavedFile saved;  // no ?: around co_await: GCC 12 miscompiles it
          if (i % 2)
            saved = co_await saver.saves->save_base64_image(name, base64(bytes));
          else
            saved = co_await saver.saves->save_certificate_file(name, bytes);
          if (saved.bytes == bytes.size()) ++done;
        },
        [&](std::exception_ptr e) {
          if (e) error = e;
        });
  }
  saver.io.run();
  if (error) std::rethrow_exception(error);
  EXPECT_EQ(done, kSaves);
  EXPECT_EQ(entries(dir.path).size(), static_cast<std::size_t>(kSaves));
  EXPECT_EQ(read_all(dir.path / "f7"), image_bytes("image/png", 1700));
}

// Where an image is decoded: on the loop for naive (the code before the review) and aiofiles (the
// review's fix: only the file operations move), never on the loop for thread_pool and io_uring
// (on the loop the decode held it: an image's lag p99 7-9 ms). The test's thread runs the loop;
// impl_common::decodes_on_this_thread() counts the decodes it ran, refused payloads included.
TEST_P(FileSaveContract, OnlyNaiveAndAiofilesDecodeOnTheLoopThread) {
  constexpr std::uint64_t kSaves = 12;
  const std::uint64_t before = impl_common::decodes_on_this_thread();
  for (std::uint64_t i = 0; i < kSaves; ++i) {
    const std::string bytes = image_bytes("image/gif", 3000 + i);
    EXPECT_EQ(read_all(saver.image("g" + std::to_string(i), data_url("image/gif", bytes)).path), bytes);
  }
  EXPECT_FALSE(input_error([&] { saver.image("bad.png", "data:image/png;base64,QUJD"); }).empty());
  const std::uint64_t on_loop = impl_common::decodes_on_this_thread() - before;
  const bool on_the_loop = GetParam() == "naive" || GetParam() == "aiofiles";
  EXPECT_EQ(on_loop, on_the_loop ? kSaves + 1 : 0) << GetParam();
  EXPECT_EQ(entries(dir.path).size(), kSaves) << "the refused one wrote nothing";
}

// Whether the loop runs other work while a file is written: a handler posted right behind a save
// runs after the whole save with naive (it blocks the loop to the end), before the save is done
// with every other implementation (the write goes off the loop, and the loop carries on).
TEST_P(FileSaveContract, OnlyNaiveKeepsTheLoopUntilTheFileIsWritten) {
  for (const bool image : {true, false}) {
    bool saved = false;
    std::optional<bool> saved_when_the_loop_ran_on;
    std::exception_ptr error;
    const std::string bytes = image_bytes("image/png", 50'000);
    asio::co_spawn(
        saver.io,
        [&]() -> asio::awaitable<void> {
          if (image)
            (void)co_await saver.saves->save_base64_image("i.png", base64(bytes));
          else
            (void)co_await saver.saves->save_certificate_file("c.pdf", bytes);
          saved = true;
        },
        [&](std::exception_ptr e) { error = e; });
    asio::post(saver.io, [&] { saved_when_the_loop_ran_on = saved; });
    saver.io.restart();
    saver.io.run();
    if (error) std::rethrow_exception(error);
    ASSERT_TRUE(saved);
    ASSERT_TRUE(saved_when_the_loop_ran_on.has_value());
    EXPECT_EQ(*saved_when_the_loop_ran_on, GetParam() == "naive") << GetParam() << (image ? " image" : " file");
  }
}

// A reader that opens the final name over and over while it is replaced sees whole versions only.
TEST_P(FileSaveContract, ReadersNeverSeeAPartialFile) {
  // Version k is (k % 26 + 1) * 20000 copies of one letter: a part of one is recognisable.
  auto version = [](int k) { return std::string(static_cast<std::size_t>(k % 26 + 1) * 20000, static_cast<char>('a' + k % 26)); };
  saver.file("cert.pdf", version(0));
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, torn{0};
  std::thread reader([&] {
    std::string buffer(1 << 20, '\0');
    while (!stop) {
      const int fd = ::open((dir.path / "cert.pdf").c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        ++torn;  // the name is never missing once the first version is there
        continue;
      }
      std::size_t size = 0;
      for (ssize_t n; (n = ::read(fd, buffer.data() + size, buffer.size() - size)) > 0;) size += static_cast<std::size_t>(n);
      ::close(fd);
      const char letter = buffer[0];
      const bool whole = size > 0 && size == static_cast<std::size_t>(letter - 'a' + 1) * 20000 &&
                         std::all_of(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(size),
                                     [&](char c) { return c == letter; });
      if (!whole) ++torn;
      ++reads;
    }
  });
  while (reads == 0) std::this_thread::yield();  // the reader is at work before the writer starts
  for (int k = 1; k <= 150; ++k) saver.file("cert.pdf", version(k));
  stop = true;
  reader.join();
  EXPECT_EQ(torn, 0) << "of " << reads << " reads";
  EXPECT_EQ(read_all(dir.path / "cert.pdf"), version(150));
  EXPECT_EQ(entries(dir.path), std::set<std::string>{"cert.pdf"});
}

// A write that fails half-way (here: RLIMIT_FSIZE, which binds root as well as anyone, in a
// forked child so the test process keeps its limits) reports one EnvironmentError, removes its
// temporary file, and leaves the previous file as it was. A read-only directory would not do:
// CI runs as root, for whom permissions do not apply.
// The write fails half-way (a short write, then EFBIG) or at its first byte, with and without
// fsync: io_uring links the write, the fsync and the close, and a failure anywhere in that chain
// must still close the file, remove the temporary and keep the old file.
TEST_P(FileSaveContract, AFailedWriteRemovesItsTemporaryAndKeepsTheOldFile) {
  { std::ofstream(dir.path / "keep.pdf") << "old"; }
  // Only this thread may exist at fork(): a pool thread of the fixture's saver could hold a lock
  // (the allocator's, say) that the child would then wait for forever.
  saver.saves.reset();
  for (const rlim_t file_limit : {rlim_t{4096}, rlim_t{0}})
    for (const bool fsync : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "file size limit " << file_limit << ", fsync " << fsync);
      const fs::path report = dir.path.parent_path() / (dir.path.filename().string() + ".report");
      std::fflush(nullptr);
      const pid_t child = fork();
      ASSERT_GE(child, 0);
      if (child == 0) {
        int code = 1;
        std::string message = "no error";
        alarm(60);  // a child that hangs dies, and the test fails instead of waiting for ctest
        try {
          std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of being killed
          rlimit limit{};
          if (getrlimit(RLIMIT_FSIZE, &limit) != 0) throw std::runtime_error("getrlimit failed");
          limit.rlim_cur = file_limit;  // the hard limit stays: raising it needs privileges
          if (setrlimit(RLIMIT_FSIZE, &limit) != 0) throw std::runtime_error("setrlimit failed");
          SaveOptions options;
          options.fsync = fsync;
          Saver s(GetParam(), dir.path, options);
          s.file("keep.pdf", std::string(64 * 1024, 'n'));
        } catch (const EnvironmentError& e) {
          code = 0;
          message = e.what();
        } catch (const std::exception& e) {
          code = 2;
          message = e.what();
        }
        rlimit limit{};
        getrlimit(RLIMIT_FSIZE, &limit);
        limit.rlim_cur = limit.rlim_max;  // the report is written whatever the limit was
        setrlimit(RLIMIT_FSIZE, &limit);
        const int fd = ::open(report.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
          [[maybe_unused]] auto n = ::write(fd, message.data(), message.size());
          ::close(fd);
        }
        _exit(code);
      }
      int status = 0;
      ASSERT_EQ(waitpid(child, &status, 0), child);
      const std::string message = read_all(report);
      fs::remove(report);
      ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
      EXPECT_EQ(WEXITSTATUS(status), 0) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      EXPECT_NE(message.find((dir.path / "keep.pdf").string()), std::string::npos) << message;
      EXPECT_NE(message.find(std::strerror(EFBIG)), std::string::npos) << message;
      EXPECT_EQ(entries(dir.path), std::set<std::string>{"keep.pdf"}) << "the temporary file is gone";
      EXPECT_EQ(read_all(dir.path / "keep.pdf"), "old");
    }
}

TEST_P(FileSaveContract, FsyncWritesTheSameFile) {
  TempDir synced_dir;
  SaveOptions options;
  options.fsync = true;
  Saver synced(GetParam(), synced_dir.path, options);
  const std::string webp = image_bytes("image/webp", 5000);
  EXPECT_EQ(read_all(synced.image("s.webp", data_url("image/webp", webp)).path), webp);
  EXPECT_EQ(entries(synced_dir.path), std::set<std::string>{"s.webp"});
}

// Same inputs, same files: byte for byte, name for name, whichever implementation wrote them.
TEST(FileSaves, EveryImplementationSavesTheSameBytes) {
  std::map<std::string, std::map<std::string, std::string>> trees;
  for (std::string_view impl_name : harness::file_save_implementations()) {
    TempDir dir;
    Saver saver(std::string(impl_name), dir.path);
    for (std::string_view type : impl_common::known_image_types()) {
      const std::string bytes = image_bytes(type, 10'000 + type.size() * 17, 'A');
      saver.image("plain-" + std::string(type.substr(6)), base64(bytes));
      saver.image("url-" + std::string(type.substr(6)), data_url(type, bytes));
    }
    std::string pdf;
    for (int i = 0; i < 300'000; ++i) pdf += static_cast<char>(i * 31 % 256);
    saver.file("certificate.pdf", pdf);
    for (const auto& name : entries(dir.path)) trees[std::string(impl_name)][name] = read_all(dir.path / name);
  }
  ASSERT_EQ(trees.size(), 4u);
  EXPECT_EQ(trees["naive"].size(), 9u);
  EXPECT_EQ(trees["naive"], trees["aiofiles"]);
  EXPECT_EQ(trees["naive"], trees["thread_pool"]);
  EXPECT_EQ(trees["naive"], trees["io_uring"]);
}

TEST(FileSaves, RefusesBadOptionsAndUnknownImplementations) {
  asio::io_context io;
  TempDir dir;
  SaveOptions zero_cap;
  zero_cap.max_bytes = 0;
  SaveOptions unknown_type;
  unknown_type.allowed_image_types = {"image/png", "image/bmp"};
  SaveOptions no_threads;
  no_threads.pool_threads = 0;
  SaveOptions no_decode_threads;
  no_decode_threads.decode_threads = 0;
  for (std::string_view impl_name : harness::file_save_implementations())
    for (const auto& options : {zero_cap, unknown_type, no_threads, no_decode_threads})
      EXPECT_THROW(harness::make_file_saves(impl_name, io, dir.path, options), UsageError) << impl_name;
  EXPECT_THROW(harness::make_file_saves("fastest", io, dir.path, {}), UsageError);
}

// impl_common::offload_then: the first stage on its pool, the second on its own, the loop resumed with
// the result; an exception in either stage reaches the awaiting coroutine, and a first stage that
// threw never hands over.
TEST(Offload, ThenRunsEachStageOnItsOwnPoolAndCarriesExceptions) {
  asio::io_context io;
  asio::thread_pool first_pool(1), then_pool(1);
  auto id_on = [](asio::thread_pool& pool) {
    std::promise<std::thread::id> id;
    asio::post(pool, [&] { id.set_value(std::this_thread::get_id()); });
    return id.get_future().get();
  };
  const auto first_id = id_on(first_pool), then_id = id_on(then_pool);
  std::thread::id ran_first, ran_then, resumed;
  std::atomic<int> thens{0};
  std::string result;
  std::vector<std::string> errors;
  auto chain = [&](bool fail_first, bool fail_then) {
    return impl_common::offload_then(
        first_pool,
        [&, fail_first] {
          ran_first = std::this_thread::get_id();
          if (fail_first) throw InputError("first");
          return std::string("decoded");
        },
        then_pool,
        [&, fail_then](std::string middle) {
          ran_then = std::this_thread::get_id();
          ++thens;
          if (fail_then) throw EnvironmentError("then");
          return middle + " and written";
        });
  };
  for (auto [fail_first, fail_then] : {std::pair{false, false}, {true, false}, {false, true}})
    asio::co_spawn(
        io,
        [&, fail_first = fail_first, fail_then = fail_then]() -> asio::awaitable<void> {
          try {
            auto r = co_await chain(fail_first, fail_then);
            result = r;
          } catch (const std::exception& e) {
            errors.emplace_back(e.what());
          }
          resumed = std::this_thread::get_id();
        },
        asio::detached);
  io.run();
  first_pool.join();
  then_pool.join();
  EXPECT_EQ(result, "decoded and written");
  EXPECT_EQ(errors.size(), 2u);
  EXPECT_NE(std::find(errors.begin(), errors.end(), "first"), errors.end());
  EXPECT_NE(std::find(errors.begin(), errors.end(), "then"), errors.end());
  EXPECT_EQ(thens.load(), 2) << "a first stage that threw never hands over";
  EXPECT_EQ(ran_first, first_id);
  EXPECT_EQ(ran_then, then_id);
  EXPECT_EQ(resumed, std::this_thread::get_id()) << "the coroutine resumes on the loop";
}
