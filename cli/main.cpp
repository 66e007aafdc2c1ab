// certbench's command line: the commands declared (each in its cmd_*.cpp), parsed (CLI11), run,
// and errors mapped to one line on stderr and the documented exit code.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <map>
#include <vector>

#include "certbench/core/errors.hpp"
#include "certbench/core/version.hpp"
#include "certbench/db/connection.hpp"
#include "certbench/sys/shutdown.hpp"
#include "commands.hpp"
#include "options.hpp"

namespace {

using namespace certbench;

const char* kExitCodes =
    "Exit codes: 0 success, 1 regression (or, with run --require-claims, a claim below its range), 2 bad "
    "usage/config/input, 3 environment failure (database unreachable, server died, disk full), 4 gate "
    "inconclusive, 128 + signal when interrupted (130 Ctrl-C, 143 SIGTERM).";

// The innermost command the user named ("db up" names up), for the usage line of an error.
const CLI::App& named_command(const CLI::App& app) {
  const CLI::App* current = &app;
  while (!current->get_subcommands().empty()) current = current->get_subcommands().front();
  return *current;
}

// The options that set each field an error below the command line can name (core/errors.hpp):
// the libraries say what is wrong, the command line says which option to change.
const std::map<std::string, std::string> kOptionOf = {
    {"scale", "--scale"},
    {"impl", "--impl"},
    {"redis", "--redis"},
    {"schema", "--schema NAME"},
    {"foreign_schema", "--force, or --schema NAME"},
    {"data_dir", "--data-dir"},
    {"keyset_review", "--page N, or --impl limited"},
    {"after", "--after"},
    {"listen", "--listen"},
};

std::string phrase(const Error& e) {
  auto it = kOptionOf.find(e.field());
  return it == kOptionOf.end() ? std::string(e.what()) : std::string(e.what()) + " (" + it->second + ")";
}

// The problem, then the command's usage line, generated from the options it declares.
int usage_error(const CLI::App& command, const std::string& message) {
  fmt::print(stderr, "{}: {}\n", cli::command_path(command), message);
  fmt::print(stderr, "usage: {}\n", cli::usage_of(command));
  return static_cast<int>(ExitCode::usage);
}

// The command line as results.json and the report record it: a password in a connection URL
// (--dsn, --redis) is masked, since the report may end up in a CI job's summary.
cli::CommandLine recorded_command_line(int argc, char** argv) {
  cli::CommandLine out;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.find("://") != std::string::npos && arg.find('@') != std::string::npos) arg = db::mask_password(arg);
    if (arg.find("password=") != std::string::npos) arg = db::mask_password(arg);
    out.push_back(arg);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  sys::install_shutdown_handler();
  // Past a file-size limit (ulimit -f) a write fails with EFBIG, handled as a full disk (exit 3),
  // instead of the signal killing certbench with its temporary files left behind.
  std::signal(SIGXFSZ, SIG_IGN);
  // Every connection to PostgreSQL gives up after 10 s against a server that does not answer
  // (libpq's default is to wait for TCP); a DSN's connect_timeout, or the variable set, wins.
  ::setenv("PGCONNECT_TIMEOUT", "10", 0);

  CLI::App app{"certbench — measures the naive and optimized data paths of a certificate "
               "backend against a seeded PostgreSQL database.",
               "certbench"};
  app.set_version_flag("--version", fmt::format("certbench {}", version()));
  app.require_subcommand(1);
  app.footer(std::string(cli::kDatabaseHelp) + "\n" + kExitCodes);

  const cli::CommandLine line = recorded_command_line(argc, argv);
  const std::vector<cli::Command> commands{
      cli::add_db(app),    cli::add_seed(app),     cli::add_run(app, line), cli::add_report(app),
      cli::add_gate(app),  cli::add_baseline(app), cli::add_show(app),      cli::add_load(app),
      cli::add_profile(app), cli::add_bench(app),  cli::add_saves(app, line), cli::add_save(app),
      cli::add_serve(app), cli::add_load_http(app, line), cli::add_worker(app)};

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    const CLI::App& at = named_command(app);
    if (&at == &app && argc > 1 && argv[1][0] != '-')  // CLI11 would say only that a command is required
      return usage_error(app, fmt::format("'{}' is not a command (certbench --help lists them)", argv[1]));
    return usage_error(at, e.what());
  }

  const CLI::App& named = named_command(app);
  try {
    for (const auto& command : commands)
      if (*command.sub) return command.run();
  } catch (const UsageError& e) {
    return usage_error(named, phrase(e));
  } catch (const Error& e) {
    std::fflush(stdout);  // what the command printed comes before its error
    if (!sys::shutdown_requested()) fmt::print(stderr, "certbench: {}\n", phrase(e));
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fflush(stdout);
    if (!sys::shutdown_requested()) fmt::print(stderr, "certbench: internal error: {}\n", e.what());
    return static_cast<int>(ExitCode::environment);
  }
  return usage_error(app, "no command given");
}
