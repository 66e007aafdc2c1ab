// certbench serve: the API of every implementation over HTTP (docs/api.md), until a signal.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fmt/format.h>

#include "certbench/core/errors.hpp"
#include "certbench/http/server.hpp"
#include "certbench/sys/shutdown.hpp"
#include "commands.hpp"
#include "options.hpp"
#include "save_directory.hpp"
#include "terminal.hpp"

namespace certbench::cli {
namespace {

// HOST:PORT, HOST an IPv4 address or a bracketed IPv6 one.
std::pair<std::string, std::uint16_t> split_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw UsageError("--listen takes HOST:PORT, e.g. 127.0.0.1:8080 (got '" + listen + "')");
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) > 65535)
    throw UsageError("--listen: the port must be 0 to 65535 (got '" + port + "')");
  return {host, static_cast<std::uint16_t>(std::stoul(port))};
}

}  // namespace

Command add_serve(CLI::App& app) {
  struct State {
    ServeArgs args;
    DatasetOptions dataset;
  };
  auto st = std::make_shared<State>();
  auto& args = st->args;
  auto* sub = app.add_subcommand("serve", "serve the backend's endpoints of every implementation over HTTP, each "
                                            "under its own prefix (docs/api.md), until SIGINT or SIGTERM");
  sub->add_option("--listen", args.listen, "HOST:PORT to listen on (port 0: a free one, printed)")->type_name("HOST:PORT")
      ->capture_default_str();
  sub->add_option("--redis", args.redis, "redis://HOST:PORT: serve the redis template variant too")->type_name("URL");
  sub->add_option("--save-dir", args.save_dir,
                    "the directory the save endpoints write into (default: a fresh one under /tmp, removed at exit)")->type_name("DIR");
  sub->add_flag("--keep-files", args.keep_files, "keep the fresh save directory at exit");
  sub->add_option("--max-body", args.max_body, "the largest request body, in bytes (k, M: thousands, millions); "
                                                 "larger ones get 413 before they are read")->type_name("BYTES")
      ->capture_default_str();
  sub->add_option("--max-header", args.max_header, "the largest request header, in bytes; larger ones get 431")->type_name("BYTES")
      ->capture_default_str();
  sub->add_option("--max-connections", args.max_connections, "connections served at once; more get 503")->type_name("N")
      ->capture_default_str();
  sub->add_option("--idle-timeout", args.idle_timeout, "seconds a connection may stay silent before it is closed")->type_name("S")
      ->capture_default_str();
  sub->add_option("--threads", args.threads, "worker threads for the database calls (and sessions per "
                                               "implementation)")->type_name("N")
      ->capture_default_str();
  st->dataset.add(*sub, args.dataset);
  return {sub, [st] {
            st->dataset.finish();
            return serve(st->args);
          }};
}

int serve(const ServeArgs& args) {
  http::ServerOptions o;
  std::tie(o.host, o.port) = split_listen(args.listen);
  if (!args.redis.empty()) o.api.redis = redis::Endpoint::parse(args.redis);
  o.max_body = parse_count(args.max_body, "--max-body");
  const auto max_header = parse_count(args.max_header, "--max-header");
  if (o.max_body < 1) throw UsageError("--max-body must be at least 1");
  if (max_header < 256 || max_header > (1u << 24)) throw UsageError("--max-header must be 256 to 16M");
  o.max_header = static_cast<std::uint32_t>(max_header);
  if (args.max_connections < 1) throw UsageError("--max-connections must be at least 1");
  o.max_connections = args.max_connections;
  if (!(args.idle_timeout > 0 && args.idle_timeout <= 86400)) throw UsageError("--idle-timeout must be more than 0 and at most 86400 s");
  o.idle_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(args.idle_timeout * 1e3));
  if (args.threads < 1 || args.threads > 256) throw UsageError("--threads must be 1 to 256");
  o.threads = args.threads;

  std::optional<SaveDirectory> fresh;
  if (args.save_dir.empty()) {
    fresh.emplace("", args.keep_files);
    o.save_dir = fresh->path();
  } else if (!std::filesystem::is_directory(args.save_dir)) {
    throw UsageError("--save-dir " + args.save_dir + " is not a directory");
  } else {
    o.save_dir = args.save_dir;
  }
  auto dataset = ensure_dataset(args.dataset);
  o.api.dsn = dataset.target.dsn();
  o.api.schema = args.dataset.schema;

  http::Server server(o);
  // A signal stops the server first (the newest cleanup): in-flight requests finish.
  const sys::ScopedCleanup stop([&server] { server.stop(); });
  note("saving files under " + o.save_dir.string());
  fmt::print("certbench serve: listening on {}\n", server.url());
  std::fflush(stdout);
  server.wait();
  return 0;
}

}  // namespace certbench::cli
