#include "agent-client/client.hpp"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>
#include <utility>

#include "common/unix_socket.hpp"

namespace kata::agent_client {

namespace {

using namespace std::chrono_literals;

// Frames read per step() before other work gets a turn, so a guest that
// floods the connection cannot starve the host fds.
constexpr int kMaxFillsPerStep = 64;

int poll_timeout_ms(std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return 0;
  // Round up so a wait never ends a fraction of a millisecond early and spins.
  return static_cast<int>(std::min<std::int64_t>(left.count() + 1, INT_MAX));
}

bool expired(std::optional<std::chrono::steady_clock::time_point> deadline) {
  return deadline && std::chrono::steady_clock::now() >= *deadline;
}

// write(2) to a host fd that may be a pipe whose reader is gone: EPIPE must
// come back as an error, not as a SIGPIPE killing the relay process. The
// signal is blocked for this thread around the write and a SIGPIPE raised by
// it is consumed before the mask is restored.
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  bool already_pending = sigismember(&pending, SIGPIPE) == 1;
  sigset_t old_mask;
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  ssize_t written;
  do {
    written = ::write(fd, data, size);
  } while (written < 0 && errno == EINTR);
  int saved_errno = errno;
  if (written < 0 && saved_errno == EPIPE && !already_pending) {
    timespec zero{};
    while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  errno = saved_errno;
  return written;
}

}  // namespace

AgentClient::AgentClient(UniqueFd fd, Session session)
    : fd_(std::move(fd)),
      session_(std::move(session)),
      streams_(session_.receive_window, session_.send_window) {}

AgentClient::Deadline AgentClient::deadline_after(Timeout timeout) {
  if (!timeout) return std::nullopt;
  return Clock::now() + *timeout;
}

Result<UniqueFd> AgentClient::dial(const std::string& socket_path, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    auto fd = connect_unix_socket(socket_path);
    if (fd) return fd;
    // QemuVm binds the socket before QEMU starts; a socket that QEMU binds
    // itself is missing or refuses for a moment. Anything else will not get
    // better by waiting.
    int error = fd.error().errno_value;
    if (error != ENOENT && error != ECONNREFUSED) return std::move(fd).error().wrap("agent");
    if (Clock::now() >= deadline) {
      return make_error(ErrorKind::timeout, "agent: no socket at {} after {} ms: {}", socket_path, timeout.count(),
                        fd.error().message);
    }
    std::this_thread::sleep_for(20ms);
  }
}

Result<AgentClient> AgentClient::connect(const std::string& socket_path, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto fd = KATA_TRY(dial(socket_path, timeout));
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return handshake(std::move(fd), std::max(left, 0ms)).wrap("agent " + socket_path);
}

Result<AgentClient> AgentClient::handshake(UniqueFd fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0) return sys_error(errno, "agent socket flags");

  Hello local;
  local.role = Role::host;
  local.build_version = "kata-host";
  // The client object carries the decoder and output buffer through the
  // handshake, so bytes the agent sends right after its hello are kept.
  AgentClient client(std::move(fd), Session{});
  KATA_TRY(client.queue_frame(encode_hello(local)));
  while (true) {
    KATA_TRY(client.check_usable().wrap("handshake"));
    auto frame = client.decoder_.next();
    if (!frame) return std::move(frame).error().wrap("handshake");
    if (frame->has_value()) {
      auto hello = KATA_TRY(decode_hello(**frame).wrap("handshake"));
      auto session = KATA_TRY(negotiate(local, hello).wrap("handshake"));
      client.session_ = session;
      client.streams_ = StreamTable(session.receive_window, session.send_window);
      // Frames that came in the same read as the hello are dispatched now;
      // step() only looks at the decoder after the socket polls readable.
      while (true) {
        auto next = client.decoder_.next();
        if (!next) return std::move(next).error().wrap("agent");
        if (!next->has_value()) break;
        KATA_TRY(client.dispatch(**next));
      }
      return client;
    }
    if (Clock::now() >= deadline) {
      return make_error(ErrorKind::timeout, "handshake: no hello from the agent within {} ms", timeout.count());
    }
    pollfd pfd{client.fd_.get(), static_cast<short>(POLLIN | (client.outgoing_.empty() ? 0 : POLLOUT)), 0};
    int ready = ::poll(&pfd, 1, poll_timeout_ms(deadline));
    if (ready < 0 && errno != EINTR) return sys_error(errno, "handshake: poll");
    if (ready <= 0) continue;
    if (pfd.revents & POLLOUT) KATA_TRY(client.flush().wrap("handshake"));
    if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
      // Only fill the decoder here: frames are taken one at a time above so
      // that nothing after the hello is dispatched before the session exists.
      auto filled = client.decoder_.fill_from(client.fd_.get());
      if (!filled) return std::move(filled).error().wrap("handshake");
      if (filled->eof && client.decoder_.buffered() < kFrameHeaderSize) {
        return make_error(ErrorKind::protocol, "handshake: the agent closed the connection");
      }
      if (filled->eof) {
        auto complete = client.decoder_.next();
        if (!complete) return std::move(complete).error().wrap("handshake");
        if (!complete->has_value()) {
          return make_error(ErrorKind::protocol, "handshake: the agent closed the connection mid-frame");
        }
        auto hello = KATA_TRY(decode_hello(**complete).wrap("handshake"));
        KATA_TRY(negotiate(local, hello).wrap("handshake"));
        return make_error(ErrorKind::protocol, "handshake: the agent closed the connection after its hello");
      }
    }
  }
}

Result<void> AgentClient::check_usable() const {
  if (broken_) return *broken_;
  return ok();
}

Result<void> AgentClient::fail(Error error) {
  if (!broken_) broken_ = error;
  return error;
}

Result<void> AgentClient::queue_frame(Result<std::string> frame) {
  KATA_TRY(check_usable());
  if (!frame) return std::move(frame).error();
  outgoing_ += *frame;
  return flush();
}

Result<void> AgentClient::flush() {
  while (!outgoing_.empty()) {
    ssize_t sent = ::send(fd_.get(), outgoing_.data(), outgoing_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return ok();
    if (sent < 0) return fail(sys_error(errno, "write to agent"));
    outgoing_.erase(0, static_cast<std::size_t>(sent));
  }
  return ok();
}

Result<void> AgentClient::step(Deadline deadline, std::vector<pollfd>* extra) {
  KATA_TRY(check_usable());
  KATA_TRY(settle_relays());
  KATA_TRY(flush());
  std::vector<pollfd> fds;
  fds.push_back({fd_.get(), static_cast<short>(POLLIN | (outgoing_.empty() ? 0 : POLLOUT)), 0});
  std::vector<std::pair<RelayId, int>> relay_slots;
  add_relay_pollfds(fds, relay_slots);
  std::size_t extra_first = fds.size();
  if (extra != nullptr) fds.insert(fds.end(), extra->begin(), extra->end());
  // A relay that just finished must reach the caller without waiting.
  int wait_ms = finished_relays_.empty() ? poll_timeout_ms(deadline) : 0;
  int ready = ::poll(fds.data(), fds.size(), wait_ms);
  if (ready < 0 && errno != EINTR) return fail(sys_error(errno, "poll agent socket"));
  if (extra != nullptr) {
    for (std::size_t i = 0; i < extra->size(); ++i) (*extra)[i].revents = ready > 0 ? fds[extra_first + i].revents : 0;
  }
  if (ready <= 0) return ok();
  if (fds[0].revents & POLLOUT) KATA_TRY(flush());
  if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) KATA_TRY(read_frames());
  KATA_TRY(serve_relay_fds(fds, relay_slots, 1));
  return settle_relays();
}

Result<void> AgentClient::read_frames() {
  for (int fills = 0; fills < kMaxFillsPerStep; ++fills) {
    while (true) {
      auto frame = decoder_.next();
      if (!frame) return fail(std::move(frame).error().wrap("agent"));
      if (!frame->has_value()) break;
      KATA_TRY(dispatch(**frame));
    }
    auto filled = decoder_.fill_from(fd_.get());
    if (!filled) return fail(std::move(filled).error().wrap("read from agent"));
    if (filled->eof) {
      while (true) {
        auto frame = decoder_.next();
        if (!frame) return fail(std::move(frame).error().wrap("agent"));
        if (!frame->has_value()) break;
        KATA_TRY(dispatch(**frame));
      }
      if (auto finished = decoder_.finish(); !finished) return fail(std::move(finished).error().wrap("agent"));
      return fail(make_error(ErrorKind::protocol, "agent closed the connection"));
    }
    if (filled->would_block) break;
  }
  // Frames completed by the last fill.
  while (true) {
    auto frame = decoder_.next();
    if (!frame) return fail(std::move(frame).error().wrap("agent"));
    if (!frame->has_value()) break;
    KATA_TRY(dispatch(**frame));
  }
  return ok();
}

Result<void> AgentClient::dispatch(const Frame& frame) {
  switch (frame.type) {
    case FrameType::response: {
      auto response = decode_response(frame);
      if (!response) return fail(std::move(response).error().wrap("agent"));
      if (pending_.erase(response->id) == 0) {
        return fail(make_error(ErrorKind::protocol, "agent: response to request {}, which is not pending",
                               response->id));
      }
      responses_.emplace(response->id, std::move(response->outcome));
      return ok();
    }
    case FrameType::event: {
      auto event = decode_event(frame);
      if (!event) return fail(std::move(event).error().wrap("agent"));
      if (const auto* exited = std::get_if<ProcessExited>(&*event); exited != nullptr && claim_exit(*exited))
        return ok();
      if (events_.size() >= kMaxQueuedEvents) {
        return fail(make_error(ErrorKind::protocol, "agent: more than {} events queued", kMaxQueuedEvents));
      }
      events_.push_back(std::move(*event));
      return ok();
    }
    case FrameType::stream_data:
    case FrameType::stream_close:
    case FrameType::stream_credit: {
      auto event = streams_.on_frame(frame);
      if (!event) return fail(std::move(event).error().wrap("agent"));
      if (event->kind == StreamEvent::Kind::data) {
        inbound_[frame.id].buffer += frame.payload;  // bounded: the table checked it against our window
      } else if (event->kind == StreamEvent::Kind::eof) {
        inbound_[frame.id].eof = true;
      }
      return ok();
    }
    default:
      return fail(make_error(ErrorKind::protocol, "agent: unexpected {} frame", to_string(frame.type)));
  }
}

Result<AgentClient::RequestId> AgentClient::submit(const Request& request) {
  KATA_TRY(check_usable());
  // Ids wrap around after 2^32 - 1 requests; skip 0 and any still in flight.
  RequestId id = next_request_id_;
  while (id == 0 || pending_.count(id) != 0 || responses_.count(id) != 0) ++id;
  next_request_id_ = id + 1;
  KATA_TRY(queue_frame(encode_request(id, request)));
  pending_.insert(id);
  return id;
}

Result<nlohmann::json> AgentClient::await_response(RequestId id, Timeout timeout) {
  auto deadline = deadline_after(timeout);
  while (true) {
    // A response that arrived before the connection broke is still good.
    if (auto it = responses_.find(id); it != responses_.end()) {
      auto outcome = std::move(it->second);
      responses_.erase(it);
      return outcome;
    }
    if (pending_.count(id) == 0) return make_error(ErrorKind::internal, "request {} was not submitted", id);
    KATA_TRY(check_usable());
    if (expired(deadline)) {
      return make_error(ErrorKind::timeout, "no response from the agent within {} ms", timeout->count());
    }
    KATA_TRY(step(deadline, nullptr));
  }
}

template <typename R>
Result<typename R::Response> AgentClient::call(const R& request, Timeout timeout) {
  auto context = std::string(R::kOp);
  auto id = KATA_TRY(submit(request).wrap(context));
  auto body = KATA_TRY(await_response(id, timeout).wrap(context));
  return R::Response::from_json(body).wrap(context + ": response");
}

Result<std::int64_t> AgentClient::create_container(const std::string& id, const nlohmann::json& spec_json,
                                                   const StdioStreams& stdio, bool terminal, Timeout timeout) {
  auto started = KATA_TRY(call(CreateContainer{id, spec_json, stdio, terminal}, timeout));
  return started.pid;
}

Result<void> AgentClient::start_container(const std::string& id, Timeout timeout) {
  KATA_TRY(call(StartContainer{id}, timeout));
  return ok();
}

Result<std::int64_t> AgentClient::exec_process(const std::string& id, const std::string& exec_id,
                                               const nlohmann::json& process, const StdioStreams& stdio,
                                               Timeout timeout) {
  auto started = KATA_TRY(call(ExecProcess{id, exec_id, process, stdio}, timeout));
  return started.pid;
}

Result<void> AgentClient::signal_process(const std::string& id, const std::string& exec_id, int signal, bool all,
                                         Timeout timeout) {
  KATA_TRY(call(SignalProcess{id, exec_id, signal, all}, timeout));
  return ok();
}

Result<int> AgentClient::wait_process(const std::string& id, const std::string& exec_id, Timeout timeout) {
  auto status = KATA_TRY(call(WaitProcess{id, exec_id}, timeout));
  return status.status;
}

Result<void> AgentClient::close_stdin(const std::string& id, const std::string& exec_id, Timeout timeout) {
  KATA_TRY(call(CloseStdin{id, exec_id}, timeout));
  return ok();
}

Result<void> AgentClient::resize_tty(const std::string& id, const std::string& exec_id, std::uint32_t rows,
                                     std::uint32_t cols, Timeout timeout) {
  KATA_TRY(call(ResizeTty{id, exec_id, rows, cols}, timeout));
  return ok();
}

Result<std::vector<std::int64_t>> AgentClient::list_processes(const std::string& id, Timeout timeout) {
  auto list = KATA_TRY(call(ListProcesses{id}, timeout));
  return std::move(list.pids);
}

Result<void> AgentClient::pause_container(const std::string& id, Timeout timeout) {
  KATA_TRY(call(PauseContainer{id}, timeout));
  return ok();
}

Result<void> AgentClient::resume_container(const std::string& id, Timeout timeout) {
  KATA_TRY(call(ResumeContainer{id}, timeout));
  return ok();
}

Result<void> AgentClient::update_container(const std::string& id, const nlohmann::json& resources,
                                           Timeout timeout) {
  KATA_TRY(call(UpdateContainer{id, resources}, timeout));
  return ok();
}

Result<ContainerStats> AgentClient::stats_container(const std::string& id, Timeout timeout) {
  return call(StatsContainer{id}, timeout);
}

Result<void> AgentClient::remove_container(const std::string& id, Timeout timeout) {
  KATA_TRY(call(RemoveContainer{id}, timeout));
  return ok();
}

Result<void> AgentClient::destroy_sandbox(Timeout timeout) {
  KATA_TRY(call(DestroySandbox{}, timeout));
  return ok();
}

Result<void> AgentClient::configure_network(const ConfigureNetwork& request, Timeout timeout) {
  KATA_TRY(call(request, timeout));
  return ok();
}

Result<StdioStreams> AgentClient::allocate_stdio(bool with_stdin, bool terminal) {
  KATA_TRY(check_usable());
  auto next_id = [&] {
    std::uint32_t id = next_stream_id_;
    while (id == 0 || streams_.contains(id)) ++id;
    next_stream_id_ = id + 1;
    return id;
  };
  StdioStreams stdio;
  if (with_stdin) {
    stdio.stdin_id = next_id();
    KATA_TRY(streams_.open(stdio.stdin_id, StreamDirection::outbound));
  }
  stdio.stdout_id = next_id();
  KATA_TRY(streams_.open(stdio.stdout_id, StreamDirection::inbound));
  inbound_[stdio.stdout_id] = {};
  if (!terminal) {
    stdio.stderr_id = next_id();
    KATA_TRY(streams_.open(stdio.stderr_id, StreamDirection::inbound));
    inbound_[stdio.stderr_id] = {};
  }
  return stdio;
}

Result<void> AgentClient::deliver(std::uint32_t stream_id, int host_fd, bool discard) {
  auto it = inbound_.find(stream_id);
  if (it == inbound_.end() || it->second.buffer.empty()) return ok();
  std::string& buffer = it->second.buffer;
  std::size_t done = buffer.size();
  if (!discard) {
    // At most PIPE_BUF after POLLOUT: a blocking pipe or tty then takes it
    // without blocking the relay.
    ssize_t written = write_without_sigpipe(host_fd, buffer.data(), std::min<std::size_t>(buffer.size(), PIPE_BUF));
    if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return ok();
    if (written < 0) return sys_error(errno, "write output of stream {}", stream_id);
    done = static_cast<std::size_t>(written);
  }
  buffer.erase(0, done);
  auto credit = KATA_TRY(streams_.consume(stream_id, done));
  if (credit > 0) KATA_TRY(queue_frame(encode_stream_credit(stream_id, credit)));
  return ok();
}

Result<int> AgentClient::run_until_exit(const std::string& container_id, const std::string& exec_id,
                                        const StdioStreams& streams, const HostStdio& fds, Timeout timeout) {
  auto deadline = deadline_after(timeout);
  auto id = KATA_TRY(attach_relay(container_id, exec_id, streams, fds));
  while (true) {
    auto done = std::find_if(finished_relays_.begin(), finished_relays_.end(),
                             [&](const FinishedRelay& relay) { return relay.id == id; });
    if (done != finished_relays_.end()) {
      int status = done->status;
      finished_relays_.erase(done);
      return status;
    }
    Result<void> progress = check_usable();
    if (progress && expired(deadline)) {
      progress = make_error(ErrorKind::timeout, "process {}/{} did not exit within {} ms", container_id, exec_id,
                            timeout->count());
    }
    if (progress) progress = step(deadline, nullptr);
    if (!progress) {
      detach_relay(id);
      return std::move(progress).error();
    }
  }
}

Result<std::optional<Event>> AgentClient::next_event(Timeout timeout) {
  auto deadline = deadline_after(timeout);
  while (true) {
    if (!events_.empty()) {
      Event event = std::move(events_.front());
      events_.pop_front();
      return std::optional<Event>(std::move(event));
    }
    KATA_TRY(check_usable());
    if (expired(deadline)) return std::optional<Event>();
    KATA_TRY(step(deadline, nullptr));
  }
}

Result<void> AgentClient::pump(Timeout timeout, std::vector<pollfd>* extra) {
  return step(deadline_after(timeout), extra);
}

}  // namespace kata::agent_client
