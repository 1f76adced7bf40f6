// AgentClient's stdio relays: any number of processes relayed at once,
// served by every wait of the client (step() calls in here around its poll).

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "agent-client/client.hpp"

namespace kata::agent_client {

namespace {
// Largest stdin chunk read at once; also bounded by credit and max_payload.
constexpr std::size_t kStdinChunk = 64U << 10;
// Slot kind of a relay's stdin in the poll set; outputs use their index.
constexpr int kStdinSlot = -1;
}  // namespace

Result<AgentClient::RelayId> AgentClient::attach_relay(const std::string& container_id, const std::string& exec_id,
                                                       const StdioStreams& streams, const HostStdio& fds) {
  KATA_TRY(check_usable());
  Relay relay{container_id, exec_id};
  for (auto [id, fd] : {std::pair{streams.stdout_id, fds.stdout_fd}, std::pair{streams.stderr_id, fds.stderr_fd}}) {
    if (id == 0) continue;
    if (inbound_.count(id) == 0) return make_error(ErrorKind::invalid_argument, "stream {} was not allocated", id);
    relay.outputs.push_back({id, fd, fd < 0});
  }
  // A stdin closed by an earlier relay of the same process stays closed.
  if (streams.stdin_id != 0 && streams_.contains(streams.stdin_id)) {
    relay.stdin_id = streams.stdin_id;
    relay.stdin_fd = fds.stdin_fd;
  }
  // The exit may have been reported before anyone relayed the process.
  auto queued = std::find_if(events_.begin(), events_.end(), [&](const Event& event) {
    const auto* exited = std::get_if<ProcessExited>(&event);
    return exited != nullptr && exited->container_id == container_id && exited->exec_id == exec_id;
  });
  if (queued != events_.end()) {
    relay.status = std::get<ProcessExited>(*queued).status;
    events_.erase(queued);
  }
  if (relay.stdin_id != 0 && relay.stdin_fd < 0) KATA_TRY(close_relay_stdin(relay));
  RelayId id = next_relay_id_;
  while (id == 0 || relays_.count(id) != 0) ++id;
  next_relay_id_ = id + 1;
  relays_.emplace(id, std::move(relay));
  return id;
}

void AgentClient::detach_relay(RelayId id) {
  auto it = relays_.find(id);
  if (it == relays_.end()) return;
  // Keep a claimed exit for whoever attaches next.
  if (it->second.status) events_.push_front(ProcessExited{it->second.container_id, it->second.exec_id, *it->second.status});
  relays_.erase(it);
}

std::vector<AgentClient::FinishedRelay> AgentClient::take_finished_relays() {
  return std::exchange(finished_relays_, {});
}

bool AgentClient::claim_exit(const ProcessExited& exited) {
  for (auto& [id, relay] : relays_) {
    if (!relay.status && relay.container_id == exited.container_id && relay.exec_id == exited.exec_id) {
      relay.status = exited.status;
      return true;
    }
  }
  return false;
}

Result<void> AgentClient::close_relay_stdin(Relay& relay) {
  std::uint32_t id = std::exchange(relay.stdin_id, 0);
  KATA_TRY(queue_frame(encode_stream_close(id)));
  return streams_.close_outbound(id);
}

Result<void> AgentClient::settle_relays() {
  for (auto it = relays_.begin(); it != relays_.end();) {
    Relay& relay = it->second;
    for (const auto& output : relay.outputs) {
      if (output.discard) KATA_TRY(deliver(output.stream_id, -1, true));
    }
    // The agent sends all output and its EOF before process_exited, so once
    // the exit is known, what is buffered is all there is.
    bool drained = std::all_of(relay.outputs.begin(), relay.outputs.end(),
                               [&](const RelayOutput& output) { return inbound_[output.stream_id].buffer.empty(); });
    if (!relay.status || !drained) {
      ++it;
      continue;
    }
    // The process is gone: forget its streams. An inbound stream whose EOF
    // has not come yet stays tracked so a late EOF is not a protocol error.
    if (relay.stdin_id != 0) (void)streams_.close_outbound(relay.stdin_id);
    for (const auto& output : relay.outputs) {
      if (inbound_[output.stream_id].eof) {
        streams_.remove(output.stream_id);
        inbound_.erase(output.stream_id);
      }
    }
    finished_relays_.push_back({it->first, *relay.status});
    it = relays_.erase(it);
  }
  return ok();
}

void AgentClient::add_relay_pollfds(std::vector<pollfd>& fds, std::vector<std::pair<RelayId, int>>& slots) {
  for (const auto& [id, relay] : relays_) {
    if (relay.stdin_id != 0 && !relay.status) {
      auto sendable = streams_.sendable(relay.stdin_id);
      if (sendable && *sendable > 0) {
        fds.push_back({relay.stdin_fd, POLLIN, 0});
        slots.emplace_back(id, kStdinSlot);
      }
    }
    for (std::size_t i = 0; i < relay.outputs.size(); ++i) {
      const auto& output = relay.outputs[i];
      if (output.discard || inbound_[output.stream_id].buffer.empty()) continue;
      fds.push_back({output.fd, POLLOUT, 0});
      slots.emplace_back(id, static_cast<int>(i));
    }
  }
}

Result<void> AgentClient::serve_relay_fds(const std::vector<pollfd>& fds,
                                          const std::vector<std::pair<RelayId, int>>& slots, std::size_t first) {
  for (std::size_t k = 0; k < slots.size(); ++k) {
    short revents = fds[first + k].revents;
    if (revents == 0) continue;
    auto it = relays_.find(slots[k].first);
    if (it == relays_.end()) continue;
    Relay& relay = it->second;
    if (slots[k].second == kStdinSlot) {
      if (relay.stdin_id == 0) continue;
      auto sendable = KATA_TRY(streams_.sendable(relay.stdin_id));
      std::size_t want = std::min<std::uint64_t>({sendable, session_.max_payload, kStdinChunk});
      std::string chunk(want, '\0');
      ssize_t got;
      do {
        got = ::read(relay.stdin_fd, chunk.data(), chunk.size());
      } while (got < 0 && errno == EINTR);
      if (got > 0) {
        chunk.resize(static_cast<std::size_t>(got));
        KATA_TRY(queue_frame(encode_stream_data(relay.stdin_id, chunk)));
        KATA_TRY(streams_.record_sent(relay.stdin_id, chunk.size()));
      } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        // EOF, or a stdin that cannot be read any more (EIO of a hung-up
        // terminal): either way the process gets EOF.
        KATA_TRY(close_relay_stdin(relay));
      }
      continue;
    }
    auto& output = relay.outputs[static_cast<std::size_t>(slots[k].second)];
    if (revents & (POLLERR | POLLNVAL)) {
      output.discard = true;
      continue;
    }
    // A host reader that is gone (EPIPE, EIO of a hung-up terminal) must not
    // stall the process: the rest of its output is discarded.
    if (!deliver(output.stream_id, output.fd, false)) output.discard = true;
  }
  return ok();
}

}  // namespace kata::agent_client
