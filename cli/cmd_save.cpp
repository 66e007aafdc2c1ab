// certbench save: one file saved by one file-save implementation, on one event loop.
#include <utility>  // first: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "certbench/core/errors.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/impl_common/file_save_functions.hpp"
#include "certbench/impl_common/file_saves.hpp"
#include "commands.hpp"
#include "options.hpp"

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
  SaveOptions options;
  options.max_bytes = args.max_bytes;
  options.fsync = args.fsync;
  const bool image = !args.base64_file.empty();
  std::string content;
  if (image) {
    // Room for a data-URL header and a line break beyond the base64 of max_bytes.
    const std::uint64_t limit = impl_common::max_base64_length(options.max_bytes) + 130;
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

Command add_save(CLI::App& app) {
  auto args = std::make_shared<SaveArgs>();
  auto* sub = app.add_subcommand("save", "save one file as the backend's save_base64_image or save_certificate_file "
                                         "does, on one event loop; prints the saved path");
  sub->add_option("--impl", args->impl,
                  "the implementation: " + one_of(harness::file_save_implementations()) +
                      " (naive decodes and writes on the event loop; aiofiles, the review's fix, writes on a thread "
                      "pool; docs/file-saves.md)")
      ->type_name("IMPL")
      ->capture_default_str();
  sub->add_option("--name", args->name, "the file name in --dir: one name, no path")->type_name("NAME")->required();
  auto* base64_file = sub->add_option("--base64-file", args->base64_file,
                                      "a file holding the base64 payload, plain or data:image/<type>;base64,… "
                                      "(save_base64_image; a final line break is ignored)")
                          ->type_name("F");
  sub->add_option("--file", args->file, "a file whose bytes are saved as they are, e.g. a certificate PDF "
                                        "(save_certificate_file)")
      ->type_name("F")
      ->excludes(base64_file);
  sub->add_option("--dir", args->dir, "the directory to save into; it must exist")->type_name("DIR")->required();
  sub->add_option("--max-bytes", args->max_bytes, "the size cap of the saved file, in bytes")
      ->type_name("N")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40))
      ->capture_default_str();
  sub->add_flag("--fsync", args->fsync, "fsync the file and its directory: durable when the command returns");
  sub->add_flag("--json", args->json, "print one JSON object: path, bytes, impl");
  sub->footer("Images must be png, jpeg, gif or webp, by their bytes' signature. The file is written to a "
              "hidden temporary file in --dir and renamed into place: readers never see a part of it. "
              "No database is needed.");
  return {sub, [args] {
            const auto names = harness::file_save_implementations();
            if (std::find(names.begin(), names.end(), args->impl) == names.end())
              throw UsageError("--impl must be " + one_of(names) + " (got '" + args->impl + "')");
            if (args->base64_file.empty() && args->file.empty())
              throw UsageError("give the content to save: --base64-file F (an image) or --file F (any bytes)");
            return save(*args);
          }};
}

}  // namespace certbench::cli
