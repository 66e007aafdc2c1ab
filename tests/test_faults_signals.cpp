// certbench itself stopped or failing, with real signals (docs/reliability.md, "Faults"): killed
// while it writes a baseline, while a run measures, while serve or `certbench save` saves a file,
// and a disk that fails while the results are written. Each test checks the exit code, that nothing
// half-written sits under a final name, and that the next run cleans up what a SIGKILL left.
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <array>
#include <atomic>
#include <fstream>
#include <future>

#include "certbench/db/embedded_postgres.hpp"
#include "certbench/http/server.hpp"
#include "certbench/impl_common/base64.hpp"
#include "certbench/results/json.hpp"
#include "certbench/sys/atomic_file.hpp"
#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"
#include "support/cluster.hpp"
#include "support/http_client.hpp"
#include "support/services.hpp"
#include "support/text.hpp"

namespace fs = std::filesystem;
using namespace certbench;
using certbench::testing::eventually;
using certbench::testing::exit_within;
using certbench::testing::has;
using certbench::testing::http_request;
using certbench::testing::lines;
using certbench::testing::process_in;
using certbench::testing::slurp;
using certbench::testing::temp_dir;

namespace {

const fs::path kFixture = fs::path(CERTBENCH_SOURCE_DIR) / "tests/fixtures/results-quick.json";

}  // namespace

namespace {

class StoppedBy : public ::testing::TestWithParam<int> {
 public:
  // How a command stopped by the signal may end: done before it (0), or stopped (128 + signal).
  static bool ended_well(std::optional<int> code) {
    return code && (*code == 0 || *code == 128 + GetParam());
  }
};

std::string signal_name(const ::testing::TestParamInfo<int>& info) {
  return info.param == SIGINT ? "SIGINT" : info.param == SIGTERM ? "SIGTERM" : "SIGKILL";
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Signals, StoppedBy, ::testing::Values(SIGINT, SIGTERM, SIGKILL), signal_name);

// `baseline update` stopped at any moment leaves the old baseline or the new one, whole — never a
// truncated file under the baseline's name. (A kill between the temporary file's creation and its
// rename may leave that temporary file beside it, never under the final name.)
TEST_P(StoppedBy, BaselineUpdateAtAnyMomentLeavesTheOldOrTheNewBaseline) {
  const auto dir = temp_dir("certbench-test-baseline-killed-");
  const auto baseline = dir / "baseline.json";
  ASSERT_EQ(certbench::testing::run_certbench({"baseline", "update", kFixture.string(), "--to", baseline.string()})
                .exit_code,
            0);
  const std::string old_text = slurp(baseline);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(certbench::testing::run_certbench({"baseline", "update", kFixture.string(), "--to",
                                               (dir / "new.json").string(), "--keep-samples"})
                .exit_code,
            0);
  const auto whole = std::chrono::steady_clock::now() - started;  // the command's time, start to exit
  const std::string new_text = slurp(dir / "new.json");
  ASSERT_NE(old_text, new_text);
  fs::remove(dir / "new.json");
  bool saw_old = false, saw_new = false;
  // Stops spread over the command's whole time, then a round left to end.
  for (int tenth = 0; tenth <= 12; ++tenth) {
    const pid_t pid = certbench::testing::spawn_certbench(
        {"baseline", "update", kFixture.string(), "--to", baseline.string(), "--keep-samples"},
        (dir / "log").string());
    std::optional<int> code;
    if (tenth < 12) {
      std::this_thread::sleep_for(whole * tenth / 10);
      ::kill(pid, GetParam());
      code = exit_within(pid, 30);
    } else {
      code = exit_within(pid, 60);  // the last round ends by itself, however slow the machine is today
    }
    ASSERT_TRUE(code);
    EXPECT_TRUE(ended_well(code)) << *code << "\n" << slurp(dir / "log");
    const std::string now = slurp(baseline);
    EXPECT_TRUE(now == old_text || now == new_text) << "killed at " << tenth << "/10: " << now.size() << " bytes";
    saw_old = saw_old || now == old_text;
    saw_new = saw_new || now == new_text;
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      EXPECT_TRUE(name == "baseline.json" || name == "log" || (name.starts_with(".baseline.json.") && name.ends_with(".tmp")))
          << "killed at " << tenth << "/10: " << name;
    }
    std::ofstream(baseline, std::ios::trunc) << old_text;  // each round from the old baseline again
  }
  EXPECT_TRUE(saw_old) << "no kill landed before the rename";
  EXPECT_TRUE(saw_new) << "no kill landed after the rename";
  fs::remove_all(dir);
}

// A disk that fails while the report is written (RLIMIT_FSIZE binds root too): exit 3 with one line
// naming the file, the earlier report in that folder left whole, no temporary file.
TEST(Faults, ADiskThatFailsWhileTheReportIsWrittenExitsThreeAndKeepsTheEarlierOne) {
  if (!fs::exists("/usr/bin/prlimit")) GTEST_SKIP() << "prlimit (util-linux) is not installed";
  const auto dir = temp_dir("certbench-test-report-disk-");
  ASSERT_EQ(certbench::testing::run_certbench({"report", kFixture.string(), "--out", dir.string()}).exit_code, 0);
  std::map<fs::path, std::string> before;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) before[e.path()] = slurp(e.path());
  ASSERT_TRUE(before.contains(dir / "report.md"));
  const auto r = sys::run_capture(
      {"/usr/bin/prlimit", "--fsize=4096", CERTBENCH_BINARY, "report", kFixture.string(), "--out", dir.string()});
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(has(r.err, std::strerror(EFBIG))) << r.err;
  std::map<fs::path, std::string> after;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) after[e.path()] = slurp(e.path());
  EXPECT_EQ(after, before) << "a file changed or a temporary one was left";
  fs::remove_all(dir);
}

namespace {
// A folder of a test's own, `at` inside it to mount on; unmounted and removed when the test ends.
struct MountPoint {
  fs::path dir, at;
  bool mounted = false;
  explicit MountPoint(const std::string& prefix) : dir(temp_dir(prefix)), at(dir / "mnt") { fs::create_directory(at); }
  ~MountPoint() {
    if (mounted) sys::run_capture({"/usr/bin/umount", at.string()});
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  MountPoint(const MountPoint&) = delete;
  MountPoint& operator=(const MountPoint&) = delete;
  /// mount ARGS… `at`; false where mounts are refused (not root, a container without CAP_SYS_ADMIN).
  bool mount(std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/mount");
    args.push_back(at.string());
    return mounted = sys::run_capture(args).exit_code == 0;
  }
};
}  // namespace

// An output folder that refuses writes — read-only even for root, a read-only bind mount of itself
// — is said before anything is measured (run: exit 2, one line), and a report into it fails with one
// line (exit 3); nothing is written there.
TEST(Faults, AnOutputFolderThatRefusesWritesIsSaidInOneLineAndNothingIsWritten) {
  MountPoint mount("certbench-test-readonly-out-");
  const auto out = mount.at;
  if (!mount.mount({"--bind", out.string()}))
    GTEST_SKIP() << "no bind mounts here (not root, or a container without CAP_SYS_ADMIN)";
  ASSERT_EQ(sys::run_capture({"/usr/bin/mount", "-o", "remount,bind,ro", out.string(), out.string()}).exit_code, 0);

  const auto run = certbench::testing::run_certbench({"run", "--quick", "--only", "caching", "--scale", "1000", "--schema",
                                                      "readonly_out", "--out", out.string(), "--dsn",
                                                      certbench::testing::shared_cluster().dsn()});
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_TRUE(has(run.err, "--out " + out.string() + ": cannot write into the folder (" + std::strerror(EROFS) + ")"))
      << run.err;
  EXPECT_FALSE(has(run.err, "caching ·")) << "it measured before it said so: " << run.err;
  const auto report = certbench::testing::run_certbench({"report", kFixture.string(), "--out", out.string()});
  EXPECT_EQ(report.exit_code, 3) << report.err;
  EXPECT_EQ(lines(report.err), 1u) << report.err;
  EXPECT_TRUE(has(report.err, std::strerror(EROFS))) << report.err;
  EXPECT_TRUE(fs::is_empty(out));
}

// A full disk under the output folder (a 16 KiB tmpfs: the run's results.json does not fit) once a
// run has measured: exit 3 with one line naming results.json and ENOSPC, no file half-written or
// temporary one left there, nothing of the run left running.
TEST(Faults, AFullDiskUnderTheOutputFolderExitsThreeAndLeavesNoHalfFile) {
  MountPoint disk("certbench-test-full-disk-");
  if (!disk.mount({"-t", "tmpfs", "-o", "size=16k", "tmpfs"}))
    GTEST_SKIP() << "no mounts here (not root, or a container without CAP_SYS_ADMIN)";
  const auto out = disk.at / "run";
  const auto log = (disk.dir / "log").string();
  const pid_t pid = certbench::testing::spawn_certbench({"run", "--quick", "--only", "caching", "--scale", "1000",
                                                         "--schema", "full_disk", "--out", out.string(), "--dsn",
                                                         certbench::testing::shared_cluster().dsn()},
                                                        log);
  const auto code = certbench::testing::exit_within(pid, 180);
  ASSERT_TRUE(code) << slurp(log);
  EXPECT_EQ(*code, 3) << slurp(log);
  EXPECT_TRUE(has(slurp(log), "certbench: could not write the results: cannot write " + (out / "results.json").string() +
                                  ": write failed: " + std::strerror(ENOSPC)))
      << slurp(log);
  EXPECT_TRUE(has(slurp(log), "certbench: caching ·")) << "it failed before measuring: " << slurp(log);
  EXPECT_TRUE(fs::is_empty(out)) << "a file was left in the full folder";
  EXPECT_TRUE(certbench::testing::throwaway_dirs_of(pid).empty()) << "a folder or server of the run was left";
}

// certbench stopped by a signal while a run measures its file saves, with an embedded Redis (the
// caching family's) running and its folder of saved files in use. SIGINT and SIGTERM stop it in
// order: 130 or 143, results.json whole with complete: false and what was measured, no temporary
// file, the Redis server and the saves folder gone. SIGKILL leaves no file half-written under a
// final name; its Redis server dies with it, and the next run removes the folders it left.
class RunInterruptedBy : public ::testing::TestWithParam<int> {};

TEST_P(RunInterruptedBy, NothingIsLeftHalfWrittenOrRunning) {
  const int signal = GetParam();
  const auto dir = temp_dir("certbench-test-interrupted-");
  const auto log = (dir / "log").string();
  const std::vector<std::string> run{"run",   "--quick", "--only", "caching,saves", "--scale", "1000", "--schema",
                                     "faults_signal", "--dsn", certbench::testing::shared_cluster().dsn()};
  auto with_out = [&](const fs::path& out) {
    auto args = run;
    args.insert(args.end(), {"--out", out.string()});
    return args;
  };
  const pid_t pid = certbench::testing::spawn_certbench(with_out(dir / "out"), log);
  ASSERT_TRUE(eventually([&] { return has(slurp(log), "certbench: file saves · about"); }, 180)) << slurp(log);
  std::string redis_dir;  // its Redis server runs with --dir there
  for (const auto& d : certbench::testing::throwaway_dirs_of(pid))
    if (has(d, "certbench-redis-")) redis_dir = d;
  ASSERT_FALSE(redis_dir.empty()) << "no embedded Redis to leave behind";
  ASSERT_TRUE(process_in(redis_dir)) << "no redis-server works in " << redis_dir;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(pid, signal);
  const auto code = exit_within(pid, 60);
  ASSERT_TRUE(code) << "certbench did not stop: " << slurp(log);
  EXPECT_EQ(*code, 128 + signal) << slurp(log);
  for (const auto& e : fs::recursive_directory_iterator(dir / "out"))  // whole, or not there at all
    EXPECT_FALSE(sys::is_temporary_name(e.path().filename().string())) << e.path();
  if (signal != SIGKILL) {
    const auto measured = results::load(dir / "out" / "results.json");
    EXPECT_FALSE(measured.complete);
    EXPECT_TRUE(std::any_of(measured.series.begin(), measured.series.end(),
                            [](const auto& s) { return s.family == results::family::caching; }));
    const auto left = certbench::testing::throwaway_dirs_of(pid);
    EXPECT_TRUE(left.empty()) << "a Redis or saves folder of the run was left: " << (left.empty() ? "" : left.front());
  } else {
    EXPECT_FALSE(fs::exists(dir / "out" / "results.json"));
    EXPECT_TRUE(eventually([&] { return !process_in(redis_dir); }, 10)) << "the killed run's Redis server still runs";
    const auto next = certbench::testing::run_certbench(with_out(dir / "next"));
    EXPECT_EQ(next.exit_code, 0) << next.err;
    EXPECT_TRUE(certbench::testing::throwaway_dirs_of(pid).empty()) << "the next run did not remove what SIGKILL left";
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Signals, RunInterruptedBy, ::testing::Values(SIGINT, SIGTERM, SIGKILL), signal_name);

// serve stopped while uploads are being saved into its fresh folder. SIGINT and SIGTERM: it
// drains the requests in flight (each gets its 200), exits 130 or 143 and removes its folder. SIGKILL: every file
// under a final name there is whole (a save is a temporary file renamed into place), and the next
// serve removes the folder the killed one left.
TEST_P(StoppedBy, ServeWhileItSavesLeavesWholeFilesOrNoneAndNoFolder) {
  const std::vector<std::string> argv{CERTBENCH_BINARY, "serve", "--listen", "127.0.0.1:0", "--dsn",
                                      certbench::testing::shared_cluster().dsn(), "--schema", "faults_serve", "--scale",
                                      "1000", "--threads", "2"};
  std::string png = "\x89PNG\r\n\x1a\n";
  png.resize(2'000'000);
  for (std::size_t i = 8; i < png.size(); ++i) png[i] = static_cast<char>((i * 131) % 251);
  const std::string body = R"({"data_url": "data:image/png;base64,)" + impl_common::base64::encode(png) + R"("})";
  auto port_of = [](sys::LineProcess& p) -> std::uint16_t {
    const auto line = p.read_line(std::chrono::seconds(120));
    if (line.status != sys::LineProcess::Read::line) return 0;
    const auto at = line.text.rfind(':');
    return at == std::string::npos ? 0 : static_cast<std::uint16_t>(std::stoi(line.text.substr(at + 1)));
  };
  std::vector<std::string> left;
  std::map<std::string, std::string> files;  // the folder's files under final names, read before serve is reaped
  {
    sys::LineProcess serve(argv);
    const auto port = port_of(serve);
    ASSERT_NE(port, 0) << serve.error_output();
    // Four uploaders, each on a connection the server has accepted (kept alive); once 8 saves are
    // in, each sends one last request, and the signal comes when all four are sent: those are the
    // requests in flight that a drain answers.
    std::atomic<int> saved{0}, sent_last{0};
    std::atomic<bool> last_round{false};
    std::array<int, 4> last_status{};
    std::vector<std::thread> uploaders;
    for (int id = 1; id <= 4; ++id)
      uploaders.emplace_back([&, id] {
        const std::string target = "/thread_pool/certificates/spa_therapist/" + std::to_string(id) + "/image";
        try {
          certbench::testing::HttpConnection connection(port);
          for (;;) {
            const bool last = last_round.load();
            connection.send("POST", target, body);
            if (last) ++sent_last;
            const auto r = connection.read(120);
            if (!r) return;  // the server is gone
            if (r->status == 200) ++saved;
            if (last) {
              last_status[static_cast<std::size_t>(id - 1)] = r->status;
              return;
            }
          }
        } catch (const std::exception&) {
        }
      });
    const bool some = eventually([&] { return saved.load() >= 8; }, 120);
    last_round = true;
    const bool sent = eventually([&] { return sent_last.load() == 4; }, 120);
    // A drain answers the requests serve has begun to read; one whose bytes wait unread in the
    // socket when the signal comes is closed with its connection. The uploads take their time to
    // arrive (2.7 MB each), so serve reads each last request's head well within this.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (const auto& d : certbench::testing::throwaway_dirs_of(serve.pid()))
      if (has(d, "certbench-saves-")) left.push_back(d);
    ::kill(serve.pid(), GetParam());
    for (auto& t : uploaders) t.join();
    // Unreaped, the killed serve still owns its folder: no other test's sweep takes it meanwhile.
    std::error_code ec;
    if (left.size() == 1 && GetParam() == SIGKILL)
      for (const auto& e : fs::directory_iterator(left.front(), ec))
        if (const auto name = e.path().filename().string(); has(name, ".png") && !sys::is_temporary_name(name))
          files[name] = slurp(e.path());
    ASSERT_TRUE(some) << "the uploads were not saved: " << serve.error_output();
    const auto status = serve.exit_status(std::chrono::seconds(60));
    ASSERT_TRUE(status.has_value()) << "serve did not stop";
    if (GetParam() != SIGKILL) {
      EXPECT_EQ(*status, 128 + GetParam()) << serve.error_output();
      EXPECT_TRUE(sent) << "the last requests were not all sent";
      EXPECT_EQ(last_status, (std::array<int, 4>{200, 200, 200, 200})) << "a request in flight at the signal was not answered";
      ASSERT_EQ(left.size(), 1u) << "serve saved into no fresh folder of its own";
      EXPECT_FALSE(fs::exists(left.front())) << "serve stopped in order and left its folder";
      return;
    }
  }
  ASSERT_EQ(left.size(), 1u) << "serve saved into no fresh folder of its own";
  EXPECT_FALSE(files.empty());
  for (const auto& [name, bytes] : files) EXPECT_EQ(bytes, png) << name << " is not the whole upload";
  sys::LineProcess next(argv);
  ASSERT_NE(port_of(next), 0) << next.error_output();
  EXPECT_FALSE(fs::exists(left.front())) << "the next serve did not remove what SIGKILL left";
  ::kill(next.pid(), SIGTERM);
  EXPECT_EQ(next.exit_status(std::chrono::seconds(60)), 143) << next.error_output();
}

// `certbench save` stopped at any moment of a large save: the file under its final name is whole
// or not there — never cut short.
TEST_P(StoppedBy, ASaveAtAnyMomentLeavesTheWholeFileOrNone) {
  const auto dir = temp_dir("certbench-test-save-killed-");
  const std::string pdf = "%PDF-1.7\n" + std::string(16u << 20, 'c');
  ASSERT_TRUE(std::ofstream(dir / "in.pdf", std::ios::binary).write(pdf.data(), static_cast<std::streamsize>(pdf.size())));
  auto save = [&](const std::string& impl, const fs::path& out) {
    fs::create_directories(out);
    return certbench::testing::spawn_certbench(
        {"save", "--impl", impl, "--name", "c.pdf", "--file", (dir / "in.pdf").string(), "--dir", out.string(),
         "--max-bytes", std::to_string(pdf.size()), "--fsync"},
        (dir / "log").string());
  };
  for (const std::string impl : {"naive", "thread_pool"}) {
    const auto whole = dir / (impl + "-whole");  // not killed: it must come out whole
    ASSERT_EQ(exit_within(save(impl, whole), 60), 0) << slurp(dir / "log");
    EXPECT_EQ(fs::file_size(whole / "c.pdf"), pdf.size());
    fs::remove_all(whole);
    for (const int ms : {0, 20, 50, 100, 200, 400}) {
      const auto out = dir / (impl + "-" + std::to_string(ms));
      const pid_t pid = save(impl, out);
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      ::kill(pid, GetParam());
      const auto code = exit_within(pid, 30);
      ASSERT_TRUE(code);
      EXPECT_TRUE(ended_well(code)) << impl << " stopped after " << ms << " ms: " << *code;
      if (fs::exists(out / "c.pdf")) {
        EXPECT_EQ(fs::file_size(out / "c.pdf"), pdf.size()) << impl << " killed after " << ms << " ms";
      }
      for (const auto& e : fs::directory_iterator(out)) {  // the only other name: its temporary file
        if (e.path().filename() != "c.pdf") {
          EXPECT_TRUE(sys::is_temporary_name(e.path().filename().string())) << e.path();
        }
      }
      fs::remove_all(out);
    }
  }
  fs::remove_all(dir);
}
