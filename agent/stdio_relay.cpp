// Server: relaying process stdio over the protocol's streams, reaping, and
// reporting exits in the agreed order (stdout/stderr EOF, then the event).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "agent/console.hpp"
#include "agent/server.hpp"

namespace kata::agent {

namespace {

// Largest chunk read from a process at once (a pipe's default capacity).
constexpr std::size_t read_chunk = 64 * 1024;
// Output is read only while the port's queue is shorter than this, so the
// queue stays bounded even with many streams holding credit.
constexpr std::size_t max_queued = 256 * 1024;
// Reads per pump call, so one chatty process cannot starve the loop.
constexpr int max_reads = 16;

int wait_status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

bool Server::wants_read(const OutputPipe& pipe) const {
  if (!connection_.ready() || pipe.id == 0) return true;  // discarding
  if (connection_.queued() >= max_queued) return false;
  auto& streams = const_cast<Connection&>(connection_).streams();
  auto sendable = streams.sendable(pipe.id);
  return !sendable || *sendable > 0;
}

void Server::pump_output(ManagedProcess& process, OutputPipe& pipe) {
  char buffer[read_chunk];
  for (int reads = 0; reads < max_reads && pipe.fd; ++reads) {
    bool discard = !connection_.ready() || pipe.id == 0;
    std::size_t limit = sizeof buffer;
    if (!discard) {
      auto sendable = connection_.streams().sendable(pipe.id);
      if (!sendable) {
        discard = true;
      } else {
        limit = static_cast<std::size_t>(
            std::min<std::uint64_t>({*sendable, limit, connection_.session().max_payload}));
        if (limit == 0 || connection_.queued() >= max_queued) return;  // wait for credit / the port
      }
    }
    ssize_t got = ::read(pipe.fd.get(), buffer, limit);
    if (got > 0) {
      if (discard) continue;
      auto bytes = std::string_view(buffer, static_cast<std::size_t>(got));
      connection_.send(agent_client::encode_stream_data(pipe.id, bytes));
      (void)connection_.streams().record_sent(pipe.id, bytes.size());
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) {
      // After the exit, an empty pipe is the end: what the process wrote is
      // all in the pipe by then, and a background child may keep it open.
      if (process.exited) close_output(process, pipe);
      return;
    }
    // 0: EOF; EIO: the pty's last slave closed; anything else ends it too.
    close_output(process, pipe);
  }
}

void Server::close_output(ManagedProcess& process, OutputPipe& pipe) {
  pipe.fd.reset();
  if (connection_.ready() && pipe.id != 0) {
    connection_.send(agent_client::encode_stream_close(pipe.id));
    (void)connection_.streams().close_outbound(pipe.id);
  }
  pipe.id = 0;
  (void)process;
}

void Server::give_stdin_credit(std::uint32_t stream_id, std::size_t bytes) {
  if (!connection_.ready() || stream_id == 0 || !connection_.streams().contains(stream_id)) return;
  auto credit = connection_.streams().consume(stream_id, bytes);
  if (credit && *credit > 0) connection_.send(agent_client::encode_stream_credit(stream_id, *credit));
}

void Server::pump_stdin(ManagedProcess& process) {
  while (process.stdin_fd && !process.stdin_buffer.empty()) {
    ssize_t wrote = ::write(process.stdin_fd.get(), process.stdin_buffer.data(), process.stdin_buffer.size());
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote < 0 && errno == EAGAIN) return;
    if (wrote < 0) {  // EPIPE: the process closed its stdin; the rest is discarded
      close_stdin(process);
      return;
    }
    process.stdin_buffer.erase(0, static_cast<std::size_t>(wrote));
    give_stdin_credit(process.stdin_id, static_cast<std::size_t>(wrote));
  }
  if (process.stdin_eof && process.stdin_buffer.empty()) close_stdin(process);
}

void Server::close_stdin(ManagedProcess& process) {
  // With a terminal this closes only our dup of the master: the pty stays up
  // and the process sees no EOF (as with docker -t: closing the client's
  // stdin does not type ^D for it).
  process.stdin_fd.reset();
  give_stdin_credit(process.stdin_id, process.stdin_buffer.size());
  process.stdin_buffer.clear();
}

void Server::on_stdin_data(std::uint32_t stream_id, std::string_view bytes) {
  for (auto& [container_id, container] : containers_) {
    for (auto& [exec_id, process] : container.processes) {
      if (process.stdin_id != stream_id) continue;
      if (!process.stdin_fd) {
        give_stdin_credit(stream_id, bytes.size());  // nobody reads: discard
        return;
      }
      // Bounded by our receive window: the table rejected overruns.
      process.stdin_buffer.append(bytes);
      pump_stdin(process);
      return;
    }
  }
  give_stdin_credit(stream_id, bytes.size());
}

void Server::on_stdin_eof(std::uint32_t stream_id) {
  connection_.streams().remove(stream_id);
  for (auto& [container_id, container] : containers_) {
    for (auto& [exec_id, process] : container.processes) {
      if (process.stdin_id != stream_id) continue;
      process.stdin_eof = true;
      process.stdin_id = 0;
      if (process.stdin_buffer.empty()) close_stdin(process);
      return;
    }
  }
}

void Server::reap() {
  while (true) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) break;
    for (auto& [container_id, container] : containers_) {
      for (auto& [exec_id, process] : container.processes) {
        if (process.pid != pid || process.exited) continue;
        process.exited = true;
        process.status = wait_status_code(status);
        close_stdin(process);
        pump_output(process, process.out);
        pump_output(process, process.err);
      }
    }
  }
  // Also covers processes whose pipes closed before the exit was reaped.
  for (auto& [container_id, container] : containers_) {
    for (auto& [exec_id, process] : container.processes) maybe_report(container_id, exec_id, process);
  }
}

void Server::maybe_report(const std::string& container_id, const std::string& exec_id, ManagedProcess& process) {
  if (!process.exited || process.reported || process.out.fd || process.err.fd) return;
  process.reported = true;
  if (process.status == 128 + SIGKILL) {
    // An OOM kill goes out before the exit it caused (see server.hpp).
    auto container = containers_.find(container_id);
    if (container != containers_.end()) check_oom(container_id, container->second);
  }
  agent_client::ProcessExited event{container_id, exec_id, process.status};
  connection_.send(agent_client::encode_event(event));
  for (auto request_id : process.waiters) {
    respond(request_id, agent_client::ProcessStatus{process.status}.to_json());
  }
  process.waiters.clear();
}

void Server::finish_removals() {
  // Outputs closed outside reap() (EOF after the exit) may complete a report.
  for (auto& [container_id, container] : containers_) {
    for (auto& [exec_id, process] : container.processes) maybe_report(container_id, exec_id, process);
  }
  for (auto it = containers_.begin(); it != containers_.end();) {
    auto& [container_id, container] = *it;
    bool done = container.removing && std::all_of(container.processes.begin(), container.processes.end(),
                                                  [](const auto& entry) { return entry.second.reported; });
    if (!done) {
      ++it;
      continue;
    }
    Result<void> removed = ok();
    if (container.has_cgroup) {
      // The killed processes are reaped, but the kernel may lag a moment
      // in emptying the cgroup.
      for (int attempt = 0; attempt < 50; ++attempt) {
        removed = cgroups_->remove(container_id);
        if (removed || removed.error().errno_value != EBUSY) break;
        ::usleep(2000);
      }
    }
    if (container.remove_request) {
      if (removed) {
        respond(*container.remove_request, agent_client::Empty{}.to_json());
      } else {
        respond(*container.remove_request, std::move(removed).error().wrap("remove container"));
      }
    } else if (!removed) {
      console_log("remove container {}: {}", container_id, removed.error().message);
    }
    it = containers_.erase(it);
  }
}

Result<void> Server::register_streams(ManagedProcess& process, const agent_client::StdioStreams& stdio) {
  auto& streams = connection_.streams();
  std::vector<std::uint32_t> opened;
  auto open = [&](std::uint32_t id, agent_client::StreamDirection direction) -> Result<void> {
    if (id == 0) return ok();
    auto result = streams.open(id, direction);
    if (!result) {
      for (auto done : opened) streams.remove(done);
      return std::move(result).error().wrap(fmt::format("stream {}", id));
    }
    opened.push_back(id);
    return ok();
  };
  KATA_TRY(open(stdio.stdin_id, agent_client::StreamDirection::inbound));
  KATA_TRY(open(stdio.stdout_id, agent_client::StreamDirection::outbound));
  KATA_TRY(open(stdio.stderr_id, agent_client::StreamDirection::outbound));
  process.stdin_id = stdio.stdin_id;
  process.out.id = stdio.stdout_id;
  process.err.id = stdio.stderr_id;
  return ok();
}

}  // namespace kata::agent
