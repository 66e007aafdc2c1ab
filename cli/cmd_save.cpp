// certbench save: one file saved by one file-save implementation, on one event loop.
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "certbench/core/errors.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/file_save_paths.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "commands.hpp"

namespace asio = boost::asio;

namespace certbench::cli {
namespace {

// The input file, refused before it is read when it is larger than anything the cap can accept.
std::string read_input(const std::string& path, std::uint64_t limit, const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError("cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  std::string content;
  int err = 0;
  if (fstat(fd, &st) != 0) {
    err = errno;
  } else if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw InputError(path + " is not a regular file");
  } else if (static_cast<std::uint64_t>(st.st_size) > limit) {
    ::close(fd);
    throw InputError(path + " is " + std::to_string(st.st_size) + " bytes: more than " + what);
  } else {
    content.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < content.size()) {
      const ssize_t n = ::read(fd, content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) err = errno;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    content.resize(done);
  }
  ::close(fd);
  if (err != 0) throw InputError("cannot read " + path + ": " + std::strerror(err));
  return content;
}

}  // namespace

int save(const SaveArgs& args) {
  // Past a file-size limit (ulimit -f) the write should fail with EFBIG and exit 3, not kill us.
  std::signal(SIGXFSZ, SIG_IGN);
  SaveOptions options;
  options.max_bytes = args.max_bytes;
  options.fsync = args.fsync;
  const bool image = !args.base64_file.empty();
  std::string content;
  if (image) {
    // Room for a data-URL header and a line break beyond the base64 of max_bytes.
    const std::uint64_t limit = impl::max_base64_length(options.max_bytes) + 130;
    content = read_input(args.base64_file, limit, "the base64 of a " + std::to_string(options.max_bytes) +
                                                      "-byte image can be (--max-bytes)");
    if (content.ends_with('\n')) content.pop_back();  // a text file's final line break
    if (content.ends_with('\r')) content.pop_back();
  } else {
    content = read_input(args.file, options.max_bytes,
                         "the " + std::to_string(options.max_bytes) + "-byte size cap (--max-bytes)");
  }

  asio::io_context loop;
  auto saves = harness::make_file_saves(args.impl, loop, args.dir, options);
  SavedFile saved;
  std::exception_ptr error;
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        // Not one ?: with a co_await in each branch: GCC 12 miscompiles that.
        if (image)
          saved = co_await saves->save_base64_image(args.name, std::move(content));
        else
          saved = co_await saves->save_certificate_file(args.name, std::move(content));
      },
      [&](std::exception_ptr e) { error = std::move(e); });
  loop.run();
  if (error) std::rethrow_exception(error);

  if (args.json)
    fmt::print("{}\n", nlohmann::json{{"path", saved.path.string()}, {"bytes", saved.bytes}, {"impl", args.impl}}.dump());
  else
    fmt::print("{}\n", saved.path.string());
  return 0;
}

}  // namespace certbench::cli
