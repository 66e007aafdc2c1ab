// Connection::exec_concurrently: the fan-out of prepared calls over several sessions at once.
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "certbench/core/errors.hpp"
#include "connection_parts.hpp"

namespace certbench::db {

// Several sessions at once: each session's statement is sent without waiting, then the sessions'
// sockets are polled together and each result read as it arrives, the session's next statement
// (if it was given several) sent as soon as its previous one is answered.
std::vector<Result> Connection::exec_concurrently(std::span<Connection* const> sessions,
                                                  std::span<const PreparedCall> calls) {
  const detail::StatementCpu cpu;
  if (calls.empty()) return {};
  if (sessions.empty()) throw std::invalid_argument("Connection::exec_concurrently: no sessions");
  const std::size_t n = std::min(sessions.size(), calls.size());
  for (std::size_t k = 0; k < n; ++k)  // each session's statements must stay prepared until sent
    if ((calls.size() - k + n - 1) / n > sessions[k]->prepared_limit_)
      throw std::invalid_argument("Connection::exec_concurrently: more statements than a session keeps prepared");
  std::vector<std::string> names;  // as each call's session knows it
  names.reserve(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i)
    names.push_back(sessions[i % n]->prepare_once(calls[i].name, calls[i].sql, calls[i].params.size(), stats_));
  if (captured_ != nullptr)
    for (const auto& c : calls) captured_->push_back({c.sql, c.params});

  struct Lane {
    Connection* session;
    PGconn* raw;
    std::size_t next;     // the next call index this lane sends (i, i + n, …)
    std::size_t current;  // the call in flight; calls.size() when idle
  };
  detail::PendingResults pending(calls.size());
  std::exception_ptr error;
  std::vector<Lane> lanes;
  lanes.reserve(n);
  auto send = [&](Lane& lane) {
    lane.current = calls.size();
    if (lane.next >= calls.size() || lane.raw == nullptr) return;
    const auto& c = calls[lane.next];
    const auto values = detail::raw_params(c.params);
    if (PQsendQueryPrepared(lane.raw, names[lane.next].c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0) != 1) {
      if (!error) error = detail::failure_of(lane.raw, nullptr, lane.session->server());
      lane.raw = nullptr;  // nothing more on this session
      return;
    }
    ++stats_.round_trips;
    ++stats_.statements;
    lane.current = lane.next;
    lane.next += n;
  };
  for (std::size_t k = 0; k < n; ++k) {
    lanes.push_back({sessions[k], sessions[k]->impl_->raw.handle, k, calls.size()});
    send(lanes.back());
  }
  // Reads what has arrived on a lane; when its statement is answered (the null after its results),
  // sends the lane's next one. False if the session failed.
  auto drain = [&](Lane& lane) {
    while (lane.current < calls.size()) {
      if (PQconsumeInput(lane.raw) != 1) {
        if (!error) error = detail::failure_of(lane.raw, nullptr, lane.session->server());
        lane.current = calls.size();
        lane.raw = nullptr;
        return;
      }
      if (PQisBusy(lane.raw) == 1) return;  // wait for the socket
      PGresult* r = PQgetResult(lane.raw);
      if (r == nullptr) {
        send(lane);
        continue;
      }
      pending.take(lane.current, r, error, lane.raw, *lane.session);
    }
  };
  std::vector<pollfd> fds;
  std::vector<Lane*> polled;
  for (;;) {
    fds.clear();
    polled.clear();
    for (auto& lane : lanes)
      if (lane.current < calls.size()) {
        fds.push_back({PQsocket(lane.raw), POLLIN, 0});
        polled.push_back(&lane);
      }
    if (fds.empty()) break;
    if (::poll(fds.data(), static_cast<nfds_t>(fds.size()), -1) < 0) {
      if (errno == EINTR) continue;
      const std::string why = std::strerror(errno);
      // Wait for the statements in flight the blocking way, so every session is idle again.
      for (auto* lane : polled)
        while (PGresult* r = PQgetResult(lane->raw)) PQclear(r);
      throw EnvironmentError("waiting for PostgreSQL's answers: poll failed: " + why);
    }
    for (std::size_t k = 0; k < fds.size(); ++k)
      if (fds[k].revents != 0) drain(*polled[k]);
  }
  if (error) std::rethrow_exception(error);

  std::vector<Result> out(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    out[i].impl_->raw = std::exchange(pending.results[i], nullptr);
    detail::index(stats_, *out[i].impl_);
  }
  return out;
}

}  // namespace certbench::db
