#include "certbench/sys/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <random>

#include "certbench/core/errors.hpp"

namespace fs = std::filesystem;

namespace certbench::sys {
namespace {

constexpr std::size_t kMaxFileNameBytes = 255;  // NAME_MAX
constexpr std::size_t kWhole = std::numeric_limits<std::size_t>::max();  // a path in a message: all of it

// A descriptor closed on every path out.
class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }
  /// Closes now and reports close()'s result (0 or errno); on Linux the descriptor is gone either way.
  int close() noexcept {
    const int r = ::close(fd_);
    fd_ = -1;
    return r == 0 || errno == EINTR ? 0 : errno;
  }

 private:
  int fd_;
};

}  // namespace

std::string printable(std::string_view text, std::size_t shown) {
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > shown) out += "…";
  return out;
}

std::string temporary_name(std::string_view name) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof kAlphabet - 2);
  std::string tmp = ".";
  tmp += name.substr(0, kMaxFileNameBytes - 12);  // "." + "." + 6 + ".tmp" = 12 bytes more
  tmp += '.';
  for (int i = 0; i < 6; ++i) tmp += kAlphabet[pick(random)];
  tmp += ".tmp";
  return tmp;
}

bool is_temporary_name(std::string_view name) noexcept {
  if (name.size() < 13 || name.front() != '.' || !name.ends_with(".tmp")) return false;
  const std::string_view suffix = name.substr(name.size() - 11, 7);  // ".XXXXXX"
  return suffix.front() == '.' && std::all_of(suffix.begin() + 1, suffix.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
         });
}

void throw_directory_error(const fs::path& dir, int err) {
  struct stat st {};
  if (err == ELOOP || (err == ENOTDIR && lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode)))
    throw InputError("the directory " + printable(dir.string(), kWhole) +
                     " is a symbolic link; certbench does not follow it (name the real directory)");
  if (err == ENOTDIR) throw InputError(printable(dir.string(), kWhole) + " is not a directory");
  if (err == ENOENT) throw InputError("the directory " + printable(dir.string(), kWhole) + " does not exist");
  throw EnvironmentError("cannot open the directory " + printable(dir.string(), kWhole) + ": " + std::strerror(err));
}

void throw_not_regular_target(const fs::path& path, unsigned mode) {
  const char* what = S_ISLNK(mode) ? "a symbolic link" : S_ISDIR(mode) ? "a directory" : "not a regular file";
  throw InputError(printable(path.string(), kWhole) + " exists and is " + what + "; certbench neither follows nor replaces it");
}

void throw_write_error(const fs::path& path, std::string_view step, int err) {
  throw EnvironmentError("cannot write " + printable(path.string(), kWhole) + ": " + std::string(step) +
                         " failed: " + std::strerror(err));
}

void write_file_atomic(const fs::path& path, std::string_view content, AtomicWrite how) {
  const std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..") throw InputError(printable(path.string(), kWhole) + " does not name a file");
  write_file_atomic(path.has_parent_path() ? path.parent_path() : fs::path("."), name, content, how);
}

void write_file_atomic(const fs::path& dir, std::string_view name, std::string_view content, AtomicWrite how) {
  const fs::path path = dir / name;
  const std::string target(name);
  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | (how.refuse_links ? O_NOFOLLOW : 0)));
  if (dir_fd.get() < 0) {
    if (how.refuse_links) throw_directory_error(dir, errno);
    throw_write_error(path, "opening its directory", errno);
  }
  if (how.refuse_links) {
    struct stat st {};
    if (fstatat(dir_fd.get(), target.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (!S_ISREG(st.st_mode)) throw_not_regular_target(path, st.st_mode);
    } else if (errno != ENOENT) {
      throw_write_error(path, "stat", errno);
    }
  }
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    tmp = temporary_name(target);
    fd = openat(dir_fd.get(), tmp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) throw_write_error(path, "creating a temporary file", errno);
  Fd file(fd);
  // From here on a failure removes the temporary file before it reports.
  auto fail = [&](std::string_view step, int err) {
    if (file.get() >= 0) file.close();
    unlinkat(dir_fd.get(), tmp.c_str(), 0);
    throw_write_error(path, step, err);
  };
  constexpr std::size_t kMaxWrite = 1u << 30;
  for (std::size_t done = 0; done < content.size();) {
    const ssize_t n = ::write(file.get(), content.data() + done, std::min(kMaxWrite, content.size() - done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("write", errno);
    if (n == 0) fail("write", EIO);  // no progress on a regular file: never loop forever
    done += static_cast<std::size_t>(n);
  }
  if (how.fsync && ::fsync(file.get()) != 0) fail("fsync", errno);
  if (const int err = file.close(); err != 0) fail("close", err);
  if (renameat(dir_fd.get(), tmp.c_str(), dir_fd.get(), target.c_str()) != 0) fail("rename", errno);
  // The file is in place now; only its durability can still fail.
  if (how.fsync && ::fsync(dir_fd.get()) != 0) throw_write_error(path, "fsync of the directory", errno);
}

}  // namespace certbench::sys
