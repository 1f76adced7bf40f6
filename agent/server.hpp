#pragma once
// The agent's protocol server: one thread, one poll loop over the port, the
// signalfd and every process's stdio. It handshakes with the host, decodes
// and dispatches requests (handlers_*.cpp, one file per group), relays stdio
// with the protocol's credit flow control, reaps children and reports exits.
//
// Invariants:
// - Nothing blocks the loop: all fds are non-blocking; WaitProcess and
//   RemoveContainer answer later when their process has exited.
// - Output is read from a process only while its stream has send credit and
//   the port's outbound queue is short, so memory stays bounded and a host
//   that stops granting credit makes the process block in write(2).
// - A process's ProcessExited event (and WaitProcess answers) go out after
//   the stream_close of its stdout and stderr. After the process is reaped
//   its pipes are read until empty (not until EOF: a background child may
//   hold them open forever), then closed.
// - Host disconnect: processes keep running; their stream ids are dropped,
//   so their output is read and discarded and stdin stays open without
//   data; pending WaitProcess requests die with the connection. After a new
//   handshake WaitProcess works again (exit statuses are kept until
//   RemoveContainer), but exits that happened meanwhile send no event.
// - OOM: each container cgroup's memory.events is polled (POLLPRI); when its
//   oom_kill counter grows, one Oom event goes out (several kills noticed at
//   once make one event). Ordering: before a process's ProcessExited event
//   is sent for a death by SIGKILL, its container's counter is re-read, so
//   an OOM kill the kernel has counted by then is reported first. The kernel
//   counts the kill in the same call that sends the SIGKILL, before the
//   victim can run to its exit, so in practice a process killed by the OOM
//   killer has its Oom event before its ProcessExited event. Not promised:
//   which process the kill hit (the event names only the container).

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "agent-client/protocol.hpp"
#include "agent/cgroups.hpp"
#include "agent/connection.hpp"
#include "agent/launcher.hpp"
#include "agent/managed_process.hpp"
#include "common/error.hpp"

namespace kata::agent {

/// Server settings.
struct ServerOptions {
  std::string build_version;  ///< sent in our hello
  std::string cgroup_root;    ///< cgroup v2 mount; empty: no cgroups (tests)
  std::string share_mount;    ///< where RestoreSandbox mounts the share; empty: it cannot (tests)
};

/// What the caller should do after a loop round.
enum class ServerAction {
  keep_going,
  power_off,  ///< DestroySandbox answered, or a power-off signal
};

/// The protocol server.
class Server {
 public:
  /// Serves `port_fd` (non-blocking), reaps on `signal_fd` (a signalfd for
  /// SIGCHLD and the power-off signals); neither is owned.
  Server(int port_fd, int signal_fd, Launcher& launcher, ServerOptions options);

  /// One round: waits up to `timeout_ms` for any fd and handles what is ready.
  /// Errors are fatal (the port itself failed).
  Result<ServerAction> run_once(int timeout_ms);
  /// Rounds until power-off is due; then tries for a bounded time to flush
  /// the last responses.
  Result<void> run();

  /// Number of containers tracked (for tests).
  [[nodiscard]] std::size_t container_count() const { return containers_.size(); }

 private:
  /// Reply of a handler: a body now, an error now, or nullopt: answered later.
  using Reply = std::optional<Result<nlohmann::json>>;

  // Connection and frames (server.cpp).
  void check_attached();
  void detach();
  Result<void> read_port();
  void handle_frame(const agent_client::Frame& frame);
  void handle_request(const agent_client::Frame& frame);
  void handle_stream_frame(const agent_client::Frame& frame);
  void respond(std::uint32_t request_id, const Result<nlohmann::json>& outcome);

  // Stdio relay and exits (stdio_relay.cpp).
  void pump_output(ManagedProcess& process, OutputPipe& pipe);
  void close_output(ManagedProcess& process, OutputPipe& pipe);
  bool wants_read(const OutputPipe& pipe) const;
  void pump_stdin(ManagedProcess& process);
  void close_stdin(ManagedProcess& process);
  void give_stdin_credit(std::uint32_t stream_id, std::size_t bytes);
  void on_stdin_data(std::uint32_t stream_id, std::string_view bytes);
  void on_stdin_eof(std::uint32_t stream_id);
  void reap();
  void maybe_report(const std::string& container_id, const std::string& exec_id, ManagedProcess& process);
  void finish_removals();
  Result<void> register_streams(ManagedProcess& process, const agent_client::StdioStreams& stdio);

  // Handlers (handlers_container.cpp, handlers_process.cpp, handlers_cgroup.cpp).
  Reply handle(std::uint32_t id, const agent_client::CreateContainer& request);
  Reply handle(std::uint32_t id, const agent_client::StartContainer& request);
  Reply handle(std::uint32_t id, const agent_client::RemoveContainer& request);
  Reply handle(std::uint32_t id, const agent_client::DestroySandbox& request);
  Reply handle(std::uint32_t id, const agent_client::ExecProcess& request);
  Reply handle(std::uint32_t id, const agent_client::SignalProcess& request);
  Reply handle(std::uint32_t id, const agent_client::WaitProcess& request);
  Reply handle(std::uint32_t id, const agent_client::CloseStdin& request);
  Reply handle(std::uint32_t id, const agent_client::ResizeTty& request);
  Reply handle(std::uint32_t id, const agent_client::ListProcesses& request);
  Reply handle(std::uint32_t id, const agent_client::PauseContainer& request);
  Reply handle(std::uint32_t id, const agent_client::ResumeContainer& request);
  Reply handle(std::uint32_t id, const agent_client::UpdateContainer& request);
  Reply handle(std::uint32_t id, const agent_client::StatsContainer& request);
  Reply handle(std::uint32_t id, const agent_client::ConfigureNetwork& request);  // handlers_network.cpp
  Reply handle(std::uint32_t id, const agent_client::RestoreSandbox& request);    // handlers_restore.cpp

  Result<ManagedContainer*> find_container(const std::string& container_id);
  Result<ManagedProcess*> find_process(const std::string& container_id, const std::string& exec_id);
  /// Re-reads the container's memory.events; sends Oom if it counted new kills.
  void check_oom(const std::string& container_id, ManagedContainer& container);
  Result<void> require_cgroup(const ManagedContainer& container, const std::string& container_id) const;
  void kill_container(const std::string& container_id, ManagedContainer& container, int signal);

  int signal_fd_;
  Launcher& launcher_;
  ServerOptions options_;
  Connection connection_;
  std::optional<Cgroups> cgroups_;
  std::map<std::string, ManagedContainer> containers_;
  bool power_off_ = false;
};

}  // namespace kata::agent
