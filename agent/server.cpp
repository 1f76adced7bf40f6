#include "agent/server.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <vector>

#include "agent/console.hpp"

namespace kata::agent {

using agent_client::Frame;
using agent_client::FrameType;

namespace {

// While no host is attached the port polls POLLHUP at once, so it is left
// out of the poll set and rechecked this often instead of spinning.
constexpr int detached_recheck_ms = 20;
// How long run() keeps flushing the last responses before power-off.
constexpr auto final_flush = std::chrono::seconds(2);

// "create_container" -> "create container", the step named in error messages.
std::string step_name(std::string_view op) {
  std::string step(op);
  for (auto& c : step) {
    if (c == '_') c = ' ';
  }
  return step;
}

// Which fd of which process a pollfd entry stands for.
struct PollTarget {
  enum class Kind { out, err, in, oom } kind;
  std::string container_id;
  std::string exec_id;
};

}  // namespace

Server::Server(int port_fd, int signal_fd, Launcher& launcher, ServerOptions options)
    : signal_fd_(signal_fd),
      launcher_(launcher),
      options_(std::move(options)),
      connection_(port_fd, options_.build_version) {
  if (!options_.cgroup_root.empty()) {
    cgroups_.emplace(options_.cgroup_root);
    cgroups_->enable_controllers();
  }
}

void Server::check_attached() {
  if (connection_.state() != ConnectionState::detached) return;
  pollfd port{connection_.fd(), POLLIN, 0};
  if (::poll(&port, 1, 0) < 0) return;
  if ((port.revents & POLLHUP) != 0) return;
  connection_.begin();
}

void Server::detach() {
  connection_.reset();
  // Stream ids belonged to the old connection: output is discarded from now
  // on and pending requests cannot be answered any more.
  for (auto& [container_id, container] : containers_) {
    container.remove_request.reset();
    for (auto& [exec_id, process] : container.processes) {
      process.out.id = 0;
      process.err.id = 0;
      process.stdin_id = 0;
      process.stdin_buffer.clear();
      process.waiters.clear();
    }
  }
}

Result<ServerAction> Server::run_once(int timeout_ms) {
  check_attached();
  bool attached = connection_.state() != ConnectionState::detached;

  std::vector<pollfd> fds;
  std::vector<PollTarget> targets;
  fds.push_back({signal_fd_, POLLIN, 0});
  short port_events = POLLIN;
  if (connection_.queued() > 0) port_events |= POLLOUT;
  fds.push_back({attached ? connection_.fd() : -1, port_events, 0});
  for (auto& [container_id, container] : containers_) {
    if (container.oom_watch) {
      // POLLPRI only: kernfs files always poll readable.
      fds.push_back({container.oom_watch->fd(), POLLPRI, 0});
      targets.push_back({PollTarget::Kind::oom, container_id, ""});
    }
    for (auto& [exec_id, process] : container.processes) {
      if (process.out.fd && wants_read(process.out)) {
        fds.push_back({process.out.fd.get(), POLLIN, 0});
        targets.push_back({PollTarget::Kind::out, container_id, exec_id});
      }
      if (process.err.fd && wants_read(process.err)) {
        fds.push_back({process.err.fd.get(), POLLIN, 0});
        targets.push_back({PollTarget::Kind::err, container_id, exec_id});
      }
      if (process.stdin_fd && !process.stdin_buffer.empty()) {
        fds.push_back({process.stdin_fd.get(), POLLOUT, 0});
        targets.push_back({PollTarget::Kind::in, container_id, exec_id});
      }
    }
  }
  int timeout = attached ? timeout_ms : (timeout_ms < 0 ? detached_recheck_ms : std::min(timeout_ms, detached_recheck_ms));
  int ready = ::poll(fds.data(), fds.size(), timeout);
  if (ready < 0) {
    if (errno == EINTR) return ServerAction::keep_going;
    return sys_error(errno, "poll");
  }

  // Process fds first: the lookups below cannot be invalidated, since only
  // requests and finish_removals() erase containers.
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (fds[i + 2].revents == 0) continue;
    if (targets[i].kind == PollTarget::Kind::oom) {
      auto container = find_container(targets[i].container_id);
      if (container) check_oom(targets[i].container_id, **container);
      continue;
    }
    auto process = find_process(targets[i].container_id, targets[i].exec_id);
    if (!process) continue;
    switch (targets[i].kind) {
      case PollTarget::Kind::out: pump_output(**process, (*process)->out); break;
      case PollTarget::Kind::err: pump_output(**process, (*process)->err); break;
      case PollTarget::Kind::in: pump_stdin(**process); break;
      case PollTarget::Kind::oom: break;
    }
  }

  if (fds[0].revents != 0) {
    signalfd_siginfo info{};
    while (::read(signal_fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      if (info.ssi_signo != SIGCHLD) {
        console_log("signal {}: powering off", info.ssi_signo);
        power_off_ = true;
      }
    }
    reap();
  }

  if (attached && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) KATA_TRY(read_port());
  finish_removals();

  if (connection_.queued() > 0) {
    auto flushed = KATA_TRY(connection_.flush());
    if (!flushed) detach();
  }
  return power_off_ ? ServerAction::power_off : ServerAction::keep_going;
}

Result<void> Server::read_port() {
  // fill() stops when the decoder's buffer is full; taking frames out makes
  // room, so read again a bounded number of times before polling the others.
  constexpr int max_rounds = 8;
  for (int round = 0; round < max_rounds; ++round) {
    auto alive = KATA_TRY(connection_.fill());
    while (true) {
      auto frame = connection_.next_frame();
      if (!frame) {
        console_log("agent port: {}; dropping the connection", frame.error().message);
        connection_.break_connection();
        break;
      }
      if (!*frame) break;
      handle_frame(**frame);
      if (connection_.state() == ConnectionState::broken) break;
      // Each answer leaves as it is ready, not after the requests read with
      // it (the host pipelines a sandbox's first requests and times each).
      // A host gone is noticed by run_once's flush.
      if (connection_.queued() > 0) (void)connection_.flush();
    }
    if (connection_.state() == ConnectionState::broken) {
      // Framing is lost; keep the processes, forget this connection's ids.
      for (auto& [id, container] : containers_) {
        container.remove_request.reset();
        for (auto& [exec_id, process] : container.processes) {
          process.out.id = process.err.id = process.stdin_id = 0;
          process.waiters.clear();
        }
      }
    }
    if (!alive) {
      console_log("host disconnected");
      detach();
      return ok();
    }
    if (connection_.state() == ConnectionState::broken) {
      // Discard input until the host detaches.
      char sink[4096];
      while (::read(connection_.fd(), sink, sizeof sink) > 0) {
      }
      return ok();
    }
    pollfd port{connection_.fd(), POLLIN, 0};
    if (::poll(&port, 1, 0) <= 0 || (port.revents & POLLIN) == 0) break;
  }
  return ok();
}

void Server::handle_frame(const Frame& frame) {
  if (frame.type == FrameType::hello) {
    // The first frame of a connection, or the host reconnected unnoticed.
    if (connection_.state() == ConnectionState::ready) {
      detach();
      connection_.begin();
    }
    auto accepted = connection_.accept_hello(frame);
    if (!accepted) {
      console_log("handshake: {}", accepted.error().message);
      connection_.break_connection();
      return;
    }
    console_log("host connected (build {})", connection_.session().peer_build_version);
    return;
  }
  if (!connection_.ready()) {
    console_log("agent port: {} frame before hello; dropping the connection", agent_client::to_string(frame.type));
    connection_.break_connection();
    return;
  }
  switch (frame.type) {
    case FrameType::request: handle_request(frame); return;
    case FrameType::stream_data:
    case FrameType::stream_close:
    case FrameType::stream_credit: handle_stream_frame(frame); return;
    default:
      console_log("agent port: unexpected {} frame; dropping the connection", agent_client::to_string(frame.type));
      connection_.break_connection();
  }
}

void Server::handle_request(const Frame& frame) {
  auto incoming = agent_client::decode_request(frame);
  if (!incoming) {
    // The frame itself was sound, so framing holds: answer instead of dropping.
    respond(frame.id, incoming.error());
    return;
  }
  std::string step = step_name(agent_client::op_name(incoming->request));
  Reply reply = std::visit([&](const auto& request) { return handle(incoming->id, request); }, incoming->request);
  if (!reply) return;  // answered later
  if (!*reply) {
    respond(incoming->id, reply->error().wrap(step));
  } else {
    respond(incoming->id, *reply);
  }
}

void Server::respond(std::uint32_t request_id, const Result<nlohmann::json>& outcome) {
  if (outcome) {
    connection_.send(agent_client::encode_response(request_id, *outcome));
  } else {
    connection_.send(agent_client::encode_error_response(request_id, outcome.error()));
  }
}

void Server::handle_stream_frame(const Frame& frame) {
  auto event = connection_.streams().on_frame(frame);
  if (!event) {
    console_log("agent port: {}; dropping the connection", event.error().message);
    connection_.break_connection();
    return;
  }
  using Kind = agent_client::StreamEvent::Kind;
  switch (event->kind) {
    case Kind::data: on_stdin_data(event->id, frame.payload); break;
    case Kind::eof: on_stdin_eof(event->id); break;
    case Kind::credit: {
      // Output waiting for credit is picked up by the next poll round.
      break;
    }
    case Kind::ignored: break;
  }
}

Result<void> Server::run() {
  while (true) {
    auto action = KATA_TRY(run_once(-1));
    if (action == ServerAction::power_off) break;
  }
  auto deadline = std::chrono::steady_clock::now() + final_flush;
  while (connection_.queued() > 0 && std::chrono::steady_clock::now() < deadline) {
    pollfd port{connection_.fd(), POLLOUT, 0};
    if (::poll(&port, 1, 50) < 0 && errno != EINTR) break;
    auto flushed = connection_.flush();
    if (!flushed || !*flushed) break;
  }
  return ok();
}

void Server::check_oom(const std::string& container_id, ManagedContainer& container) {
  if (!container.oom_watch) return;
  auto kills = container.oom_watch->check();
  if (!kills) {
    // The cgroup vanished or broke; stop watching rather than spin on it.
    console_log("container {}: {}; no more OOM events", container_id, kills.error().message);
    container.oom_watch.reset();
    return;
  }
  if (*kills == 0) return;
  console_log("container {}: OOM killer acted ({} kill(s))", container_id, *kills);
  if (connection_.ready()) connection_.send(agent_client::encode_event(agent_client::Oom{container_id}));
}

Result<ManagedContainer*> Server::find_container(const std::string& container_id) {
  auto found = containers_.find(container_id);
  if (found == containers_.end()) return make_error(ErrorKind::not_found, "container {} not found", container_id);
  return &found->second;
}

Result<ManagedProcess*> Server::find_process(const std::string& container_id, const std::string& exec_id) {
  auto* container = KATA_TRY(find_container(container_id));
  auto found = container->processes.find(exec_id);
  if (found == container->processes.end()) {
    return make_error(ErrorKind::not_found, "process {} not found in container {}", exec_id, container_id);
  }
  return &found->second;
}

}  // namespace kata::agent
