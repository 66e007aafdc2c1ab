#include "certbench/harness/worker.hpp"

#include <fmt/format.h>

#include <charconv>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <tuple>
#include <vector>

#include "certbench/core/errors.hpp"
#include "certbench/core/version.hpp"
#include "certbench/harness/implementations.hpp"
#include "certbench/sys/process.hpp"

namespace certbench::harness {
namespace {

constexpr std::string_view kGreeting = "certbench-worker";

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

template <typename T>
T number(const std::string& text, const char* what) {
  T v{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size())
    throw InputError(std::string(what) + " must be a number (got '" + text + "')");
  return v;
}

std::optional<Listing> listing_named(std::string_view name) {
  for (Listing l : kListings)
    if (to_string(l) == name) return l;
  return std::nullopt;
}

std::string one_line(std::string_view text) {
  std::string out(first_line(text));
  for (auto& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

std::string version_text() {
  const auto commit = git_commit();
  return fmt::format("certbench {}{}", version(),
                     commit.empty() ? "" : fmt::format(" (commit {}{})", commit, git_dirty() ? ", modified" : ""));
}

// The worker's state: the dataset, a session per implementation, the pages already warmed.
class Worker {
 public:
  std::string answer(const std::string& line) {
    const auto w = words(line);
    if (w.empty()) throw InputError("empty request");
    const auto& verb = w.front();
    if (verb == "hello") {
      if (w.size() != 2) throw InputError("hello takes the protocol version");
      const int asked = number<int>(w[1], "the protocol version");
      if (asked != kWorkerProtocol)
        throw InputError(fmt::format("protocol {} is not spoken here (this worker speaks {})", asked, kWorkerProtocol));
      return fmt::format("{} {} {}", kGreeting, kWorkerProtocol, version_text());
    }
    if (verb == "open") {
      // open <schema> <dsn to the end of the line>
      if (w.size() < 3) throw InputError("open takes a schema and a connection string");
      const auto at = line.find(w[1], line.find("open") + 4) + w[1].size();
      schema_ = w[1];
      dsn_ = line.substr(line.find_first_not_of(' ', at));
      sessions_.clear();
      warmed_.clear();
      return "ok";
    }
    if (verb == "list") return list(w);
    throw InputError("unknown request '" + verb + "' (hello, open, list, quit)");
  }

 private:
  std::string list(const std::vector<std::string>& w) {
    if (w.size() != 7) throw InputError("list takes <listing> <impl> <user> <page> <size> <count>");
    if (dsn_.empty()) throw InputError("list before open: no dataset");
    const auto listing = listing_named(w[1]);
    if (!listing) throw InputError("unknown listing '" + w[1] + "'");
    const auto& impl = w[2];
    const auto user = number<std::int64_t>(w[3], "the user");
    PageRequest page{number<std::int64_t>(w[4], "the page"), number<std::int64_t>(w[5], "the size"), std::nullopt};
    page.validate();
    const auto count = number<std::size_t>(w[6], "the count");
    if (count < 1 || count > 1'000'000) throw InputError("the count must be between 1 and 1000000");
    auto it = sessions_.find(impl);
    if (it == sessions_.end()) it = sessions_.emplace(impl, open_listing_session(dsn_, schema_, impl)).first;
    auto& paths = *it->second.listings;
    // The first call of a page prepares its statements (and fills a cache): not part of a call's cost.
    if (warmed_.insert(std::tuple(*listing, impl, user, page.page, page.size)).second) paths.list(*listing, user, page);
    using Clock = std::chrono::steady_clock;
    std::size_t rows = 0;
    const auto t0 = Clock::now();
    for (std::size_t n = 0; n < count; ++n) rows = paths.list(*listing, user, page).rows.size();
    const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return fmt::format("ok {:.9e} {}", seconds / static_cast<double>(count), rows);
  }

  std::string dsn_, schema_;
  std::map<std::string, ListingSession> sessions_;
  std::set<std::tuple<Listing, std::string, std::int64_t, std::int64_t, std::int64_t>> warmed_;
};

}  // namespace

int serve_worker(std::istream& in, std::ostream& out) {
  Worker worker;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "quit") {
      out << "bye" << std::endl;
      break;
    }
    std::string answer;
    try {
      answer = worker.answer(line);
    } catch (const Error& e) {
      answer = fmt::format("error {} {}", static_cast<int>(e.code()), one_line(e.what()));
    } catch (const std::exception& e) {
      answer = fmt::format("error {} internal error: {}", static_cast<int>(ExitCode::environment), one_line(e.what()));
    }
    out << answer << std::endl;  // flushed: the client waits for it
  }
  return 0;
}

// ---- the client ---------------------------------------------------------------------------------

WorkerClient::WorkerClient(const std::string& binary, std::chrono::milliseconds hello_timeout) {
  build_.binary = binary;
  process_ = std::make_unique<sys::LineProcess>(std::vector<std::string>{binary, "worker"});
  const auto refuse = [&](const std::string& why) {
    throw InputError(binary + " has no compatible worker (" + why +
                     "; the base must be a certbench build with `certbench worker`, protocol " +
                     std::to_string(kWorkerProtocol) + ")");
  };
  process_->send(fmt::format("hello {}", kWorkerProtocol));
  const auto r = process_->read_line(hello_timeout);
  if (r.status == sys::LineProcess::Read::timeout)
    refuse(fmt::format("no answer to hello within {:.0f} s", std::chrono::duration<double>(hello_timeout).count()));
  if (r.status == sys::LineProcess::Read::end) {
    const auto status = process_->exit_status(std::chrono::milliseconds(1000));
    const auto err = one_line(process_->error_output());
    refuse((status ? fmt::format("it exited with code {} without answering hello", *status)
                   : std::string("it closed its output without answering hello")) +
           (err.empty() ? "" : ": " + err));
  }
  const auto w = words(r.text);
  if (w.size() >= 2 && w[0] == kGreeting && w[1] == std::to_string(kWorkerProtocol)) {
    const auto at = r.text.find_first_not_of(' ', r.text.find(w[1], kGreeting.size()) + w[1].size());
    build_.version = at == std::string::npos ? "" : r.text.substr(at);
    return;
  }
  if (w.size() >= 3 && w[0] == "error") refuse("it answered hello: " + r.text.substr(r.text.find(w[2], 6)));
  refuse("it answered hello with '" + (r.text.size() > 60 ? r.text.substr(0, 60) + "…" : r.text) + "'");
}

WorkerClient::~WorkerClient() {
  try {
    quit();
  } catch (...) {  // the process is ended by LineProcess's destructor anyway
  }
}

void WorkerClient::quit() {
  if (!process_) return;
  if (process_->send("quit")) (void)process_->read_line(std::chrono::milliseconds(2000));
  process_.reset();
}

void WorkerClient::ended(const std::string& request) {
  // Its output is closed: it has ended or is about to; a loaded machine may take a while to reap it.
  const auto status = process_->exit_status(std::chrono::milliseconds(3000));
  const auto err = one_line(process_->error_output());
  throw EnvironmentError(fmt::format("the worker of {} ended during '{}'{}{}", build_.binary, request,
                                     status ? fmt::format(" (exit {})", *status) : std::string(),
                                     err.empty() ? "" : ": " + err));
}

std::string WorkerClient::ask(const std::string& request, std::chrono::milliseconds timeout) {
  if (!process_) throw std::logic_error("WorkerClient: used after quit");
  const auto verb = request.substr(0, request.find(' '));
  if (!process_->send(request)) ended(verb);
  const auto r = process_->read_line(timeout);
  if (r.status == sys::LineProcess::Read::end) ended(verb);
  if (r.status == sys::LineProcess::Read::timeout)
    throw EnvironmentError(fmt::format("the worker of {} did not answer '{}' within {:.0f} s", build_.binary, verb,
                                       std::chrono::duration<double>(timeout).count()));
  const auto w = words(r.text);
  if (!w.empty() && w[0] == "error") {
    int code = static_cast<int>(ExitCode::environment);
    std::string message = r.text.size() > 6 ? r.text.substr(6) : "";
    if (w.size() >= 2 && std::from_chars(w[1].data(), w[1].data() + w[1].size(), code).ec == std::errc())
      message = message.size() > w[1].size() ? message.substr(w[1].size() + 1) : "";
    message = "the worker of " + build_.binary + ": " + message;
    if (code == static_cast<int>(ExitCode::usage)) throw InputError(message);
    throw EnvironmentError(message);
  }
  return r.text;
}

void WorkerClient::open(const std::string& dsn, const std::string& schema) {
  const auto answer = ask("open " + schema + " " + dsn, std::chrono::milliseconds(10'000));
  if (answer != "ok") throw EnvironmentError("the worker of " + build_.binary + " answered open with '" + answer + "'");
}

WorkerTiming WorkerClient::list(Listing listing, const std::string& impl, std::int64_t user, const PageRequest& page,
                                std::size_t count) {
  const auto answer = ask(fmt::format("list {} {} {} {} {} {}", to_string(listing), impl, user, page.page, page.size, count),
                          std::chrono::milliseconds(120'000));
  const auto w = words(answer);
  WorkerTiming t;
  try {
    if (w.size() < 3 || w[0] != "ok") throw InputError("");
    t.seconds_per_call = std::stod(w[1]);
    t.rows = number<std::uint64_t>(w[2], "rows");
  } catch (const std::exception&) {
    throw EnvironmentError("the worker of " + build_.binary + " answered list with '" + answer + "'");
  }
  return t;
}

}  // namespace certbench::harness
