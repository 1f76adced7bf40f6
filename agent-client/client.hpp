#pragma once
// Host side of the agent protocol: one connection to one guest agent, its
// handshake, one method per RPC, the stdio streams and the event queue.
//
// Single-threaded: nothing happens in the background. Every call that waits
// (an RPC's response, an event, run_until_exit) drives one internal loop that
// reads frames, files responses by request id, queues events in arrival order
// and moves stream bytes, so progress on everything is made while waiting
// for anything. The guest is untrusted: frames are bounded by the decoder,
// every wait by a deadline, stream buffers by the receive window, the event
// queue by kMaxQueuedEvents; any protocol violation breaks the connection
// for good and every later call fails with that error.

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent-client/protocol.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent_client {

/// Most events kept while nobody takes them; a guest sending more breaks the
/// connection instead of growing host memory.
inline constexpr std::size_t kMaxQueuedEvents = 4096;

/// Host fds a process's stdio is relayed to and from; -1: none. The caller
/// keeps ownership. The fds are used as they are (blocking or not): the
/// relay only reads after POLLIN and writes at most PIPE_BUF bytes after
/// POLLOUT, so it never blocks on them and never changes their flags, which
/// are shared with whoever else holds them (conmon, a shell).
struct HostStdio {
  int stdin_fd = -1;   ///< read and sent on the stdin stream; EOF becomes stream_close
  int stdout_fd = -1;  ///< receives the stdout stream
  int stderr_fd = -1;  ///< receives the stderr stream
};

/// A connected, handshaken agent connection.
class AgentClient {
 public:
  /// Request id returned by submit() for a pipelined request.
  using RequestId = std::uint32_t;
  /// How long to wait; nullopt: without bound (only for waits that end with
  /// the guest process, e.g. wait_process of a long-running container).
  using Timeout = std::optional<std::chrono::milliseconds>;

  /// Connects to the unix socket QEMU listens on for the agent's port and
  /// completes the handshake. Retries while the socket does not exist or
  /// refuses, and waits for the agent's hello, which may come seconds later
  /// (QEMU accepts before the guest has booted); all within `timeout`.
  static Result<AgentClient> connect(const std::string& socket_path, std::chrono::milliseconds timeout);

  /// Connects to that socket without a handshake, retrying as connect()
  /// does. A clone's host connects before QEMU loads the template's state
  /// (sandbox_monitor.cpp), so the guest sees its port stay connected.
  static Result<UniqueFd> dial(const std::string& socket_path, std::chrono::milliseconds timeout);

  /// Performs the handshake on an already connected stream socket (made
  /// non-blocking and owned from now on). Used by connect() and by tests.
  static Result<AgentClient> handshake(UniqueFd fd, std::chrono::milliseconds timeout);

  AgentClient(AgentClient&&) noexcept = default;
  AgentClient& operator=(AgentClient&&) noexcept = default;
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;
  ~AgentClient() = default;

  /// What the handshake agreed on (agent version, windows, capabilities).
  [[nodiscard]] const Session& session() const { return session_; }

  /// Creates a container; `spec_json` is the spec rewritten to guest paths.
  /// Stream ids in `stdio` must come from allocate_stdio().
  Result<std::int64_t> create_container(const std::string& id, const nlohmann::json& spec_json,
                                        const StdioStreams& stdio, bool terminal, Timeout timeout);
  /// Releases the container's start barrier.
  Result<void> start_container(const std::string& id, Timeout timeout);
  /// Starts an extra process (OCI process object) in a container; its guest pid.
  Result<std::int64_t> exec_process(const std::string& id, const std::string& exec_id,
                                    const nlohmann::json& process, const StdioStreams& stdio, Timeout timeout);
  /// Sends `signal` to a process (exec_id empty: init), or to all of the container's.
  Result<void> signal_process(const std::string& id, const std::string& exec_id, int signal, bool all,
                              Timeout timeout);
  /// Waits until the process exits; its status (exit code or 128+signal).
  Result<int> wait_process(const std::string& id, const std::string& exec_id, Timeout timeout);
  /// Closes the process's stdin in the guest at once.
  Result<void> close_stdin(const std::string& id, const std::string& exec_id, Timeout timeout);
  /// Sets the window size of the process's pty.
  Result<void> resize_tty(const std::string& id, const std::string& exec_id, std::uint32_t rows, std::uint32_t cols,
                          Timeout timeout);
  /// Guest pids of the container's processes.
  Result<std::vector<std::int64_t>> list_processes(const std::string& id, Timeout timeout);
  /// Freezes the container.
  Result<void> pause_container(const std::string& id, Timeout timeout);
  /// Thaws the container.
  Result<void> resume_container(const std::string& id, Timeout timeout);
  /// Applies an OCI linux.resources object.
  Result<void> update_container(const std::string& id, const nlohmann::json& resources, Timeout timeout);
  /// Reads the container's cgroup counters.
  Result<ContainerStats> stats_container(const std::string& id, Timeout timeout);
  /// Kills what is left of the container and releases it in the guest.
  Result<void> remove_container(const std::string& id, Timeout timeout);
  /// Kills everything and powers the guest off after answering.
  Result<void> destroy_sandbox(Timeout timeout);
  /// Configures the guest's interfaces (by MAC), addresses and routes and
  /// brings lo up; before the first container is created.
  Result<void> configure_network(const ConfigureNetwork& request, Timeout timeout);

  /// Sends a request without waiting (pipelining); take its answer with
  /// await_response(). Fails if the connection is broken.
  Result<RequestId> submit(const Request& request);
  /// Waits for the response to `id`: the body, or the agent's error as is
  /// (kind, errno and message kept). timeout kind when the deadline passes;
  /// the response may still be awaited again later.
  Result<nlohmann::json> await_response(RequestId id, Timeout timeout);

  /// Picks fresh stream ids for a process and starts tracking them: stdin
  /// (outbound) when `with_stdin`, stdout, and stderr unless `terminal` (the
  /// pty merges it into stdout). Received data is buffered (at most one
  /// window per stream) until relayed.
  Result<StdioStreams> allocate_stdio(bool with_stdin, bool terminal);

  /// Identifies a relay started by attach_relay().
  using RelayId = std::uint32_t;
  /// A relay that ended: its process exited and all its output was written.
  struct FinishedRelay {
    RelayId id;
    int status;  ///< exit code, or 128+signal
  };

  /// Starts relaying between `fds` and the process's `streams` with flow
  /// control. From now on every wait of this client (RPCs, pump, events)
  /// moves its bytes, so any number of processes are relayed at once. A host
  /// reader that stops reading stops the guest after one window: credit is
  /// returned only for bytes written to the host fd. Without a stdout/stderr
  /// fd (or once its reader is gone) output is read and discarded. The relay
  /// finishes when the process_exited event for (container_id, exec_id) has
  /// arrived (also if it came before this call) and all output is written;
  /// that event is then not queued for next_event().
  Result<RelayId> attach_relay(const std::string& container_id, const std::string& exec_id,
                               const StdioStreams& streams, const HostStdio& fds);
  /// Stops relaying `id` without waiting for its process; its streams stay
  /// tracked, so attaching again resumes where this one stopped.
  void detach_relay(RelayId id);
  /// Relays that finished since the last call, in the order they finished.
  std::vector<FinishedRelay> take_finished_relays();

  /// Relays one process (attach_relay) until it finishes and returns its
  /// status. On timeout the relay is detached and may be resumed by calling
  /// again with the same streams. Other events stay queued for next_event().
  Result<int> run_until_exit(const std::string& container_id, const std::string& exec_id,
                             const StdioStreams& streams, const HostStdio& fds, Timeout timeout);

  /// The next event in arrival order, waiting up to `timeout`; nullopt if
  /// none came in time.
  Result<std::optional<Event>> next_event(Timeout timeout);

  /// The connection's fd, for callers multiplexing it with others (poll it
  /// for POLLIN, then call pump() with a zero timeout).
  [[nodiscard]] int fd() const { return fd_.get(); }
  /// Moves bytes for up to `timeout` (waits at most once): flushes pending
  /// output, relays attached processes, reads and dispatches whatever frames
  /// arrived. `extra` host fds are polled in the same wait and get their
  /// revents back, so a caller can serve its own fds in one loop.
  Result<void> pump(Timeout timeout, std::vector<pollfd>* extra = nullptr);

 private:
  using Clock = std::chrono::steady_clock;
  using Deadline = std::optional<Clock::time_point>;

  // Per inbound stream: bytes received and not yet delivered, and its EOF.
  struct Inbound {
    std::string buffer;
    bool eof = false;
  };

  // One host output of a relay; `discard` once it has no reader (no fd,
  // POLLERR or EPIPE), so the agent never blocks on a dead reader.
  struct RelayOutput {
    std::uint32_t stream_id;
    int fd;
    bool discard;
  };
  // An attached relay (see attach_relay).
  struct Relay {
    std::string container_id;
    std::string exec_id;
    std::uint32_t stdin_id = 0;  // 0 once closed (or never there)
    int stdin_fd = -1;
    std::vector<RelayOutput> outputs;
    std::optional<int> status;  // set by the process_exited event
  };

  AgentClient(UniqueFd fd, Session session);

  static Deadline deadline_after(Timeout timeout);
  template <typename R>
  Result<typename R::Response> call(const R& request, Timeout timeout);

  Result<void> check_usable() const;
  Result<void> fail(Error error);
  Result<void> queue_frame(Result<std::string> frame);
  Result<void> flush();
  // One poll of the agent fd (plus `extra` host fds, whose revents are
  // returned through it) until `deadline`, then reads and dispatches frames.
  Result<void> step(Deadline deadline, std::vector<pollfd>* extra);
  Result<void> read_frames();
  Result<void> dispatch(const Frame& frame);
  Result<void> deliver(std::uint32_t stream_id, int host_fd, bool discard);
  // Relay bookkeeping around one poll (client_relay.cpp): discards output
  // without a reader and finishes relays whose process is done; adds the
  // relays' host fds to `fds`; serves them after the poll.
  Result<void> settle_relays();
  void add_relay_pollfds(std::vector<pollfd>& fds, std::vector<std::pair<RelayId, int>>& slots);
  Result<void> serve_relay_fds(const std::vector<pollfd>& fds, const std::vector<std::pair<RelayId, int>>& slots,
                               std::size_t first);
  Result<void> close_relay_stdin(Relay& relay);
  bool claim_exit(const ProcessExited& exited);

  UniqueFd fd_;
  Session session_;
  FrameDecoder decoder_;
  StreamTable streams_;
  std::string outgoing_;  // encoded frames not yet written
  std::optional<Error> broken_;
  RequestId next_request_id_ = 1;
  std::uint32_t next_stream_id_ = 1;
  std::set<RequestId> pending_;  // submitted, no response yet
  std::map<RequestId, Result<nlohmann::json>> responses_;
  std::deque<Event> events_;
  std::map<std::uint32_t, Inbound> inbound_;
  std::map<RelayId, Relay> relays_;
  std::vector<FinishedRelay> finished_relays_;
  RelayId next_relay_id_ = 1;
};

}  // namespace kata::agent_client
