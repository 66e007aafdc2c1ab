#pragma once
// The error hierarchy every certbench layer throws, and the exit codes they map to (README.md).
// Messages are one line naming what to fix; the CLI prints them as "certbench: <message>".
#include <stdexcept>
#include <string>

namespace certbench {

/// Exit codes shared by all subcommands (README.md, "Exit codes").
enum class ExitCode : int {
  ok = 0,
  regression = 1,    ///< a gate found a regression, or a run's required claim failed
  usage = 2,         ///< bad usage, configuration or input
  environment = 3,   ///< the environment failed: database unreachable, server died, disk full
  inconclusive = 4,  ///< the gate could not decide
  interrupted = 130, ///< SIGINT/SIGTERM (128 + signal number is used for the exact signal)
};

/// Base of every error certbench reports to a user. Layers below the command line never spell a
/// flag: an error about a setting names it in `field` ("scale", "impl", "schema", …, see
/// cli/main.cpp's table), and the command line says which option sets it.
class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message, std::string field = {})
      : std::runtime_error(message), code_(code), field_(std::move(field)) {}
  [[nodiscard]] ExitCode code() const noexcept { return code_; }
  /// The setting the error is about, "" when none.
  [[nodiscard]] const std::string& field() const noexcept { return field_; }

 private:
  ExitCode code_;
  std::string field_;
};

/// Bad command-line usage or configuration (exit 2).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message, std::string field = {})
      : Error(ExitCode::usage, message, std::move(field)) {}
};

/// Input or state certbench refuses to act on, e.g. a foreign schema (exit 2).
class InputError : public Error {
 public:
  explicit InputError(const std::string& message, std::string field = {})
      : Error(ExitCode::usage, message, std::move(field)) {}
};

/// The environment failed: a process would not start, a file could not be written (exit 3).
class EnvironmentError : public Error {
 public:
  explicit EnvironmentError(const std::string& message)
      : Error(ExitCode::environment, message) {}
};

/// The database could not be reached, or the connection was lost (exit 3).
class ConnectionError : public EnvironmentError {
 public:
  using EnvironmentError::EnvironmentError;
};

/// A statement failed on the server (exit 3); sqlstate() is the SQLSTATE code when known.
class QueryError : public EnvironmentError {
 public:
  QueryError(const std::string& message, std::string sqlstate)
      : EnvironmentError(message), sqlstate_(std::move(sqlstate)) {}
  [[nodiscard]] const std::string& sqlstate() const noexcept { return sqlstate_; }

 private:
  std::string sqlstate_;
};

/// First line of a possibly multi-line message (libpq's errors carry hints on later lines).
std::string first_line(std::string_view message);

}  // namespace certbench
