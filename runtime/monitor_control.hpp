#pragma once
// The sandbox monitor's control protocol on <container dir>/monitor.sock:
// one connection per command, one JSON line each way.
//   {"op":"start"}                          -> {"ok":true}
//   {"op":"kill","signal":N,"all":bool}     -> {"ok":true}
//   {"op":"ps"}                             -> {"ok":true,"pids":[guest pids]}
//   {"op":"pause"}                          -> {"ok":true}
//   {"op":"resume"}                         -> {"ok":true}
//   {"op":"update","resources":{...}}       -> {"ok":true}   (OCI linux.resources)
//   {"op":"stats"}                          -> {"ok":true,"stats":{ContainerStats JSON}}
//   {"op":"exec","process":{...},"terminal":bool} with fds (SCM_RIGHTS):
//                                           -> {"ok":true,"exec_id":"...","pid":N},
//        then {"type":"exit","status":N} when the process exits
//   {"op":"create_member","id":"...","spec":{...},"terminal":bool,"join":["ipc",...]}
//        with fds: the member's control socket (listening), its stand-in's
//        end of their socketpair, then its stdio (1: terminal, 2: the
//        caller's terminal in and out, 3: stdin, stdout, stderr)
//                                           -> {"ok":true,"pid":N}  (sandbox's socket only)
//   {"op":"remove"}                         -> {"ok":true}  (a member's socket: it leaves the VM)
//   {"op":"plug_network","network":{...}} with one tap fd per interface
//                                           -> {"ok":true}  (before start: NICs hot-plugged,
//        the agent's configure_network in the container's own namespace)
//   {"op":"subscribe"}                      -> {"ok":true}, then event lines:
//        {"type":"oom"}                        the OOM killer acted in the container
//        {"type":"exit","status":N}            the container exited; the monitor then closes
//   anything failing                        -> {"ok":false,"kind":"...","error":"..."}
//
// The subscription's first line is the ordinary reply, so a subscriber knows
// the monitor accepted it before waiting for events (and gets its error
// otherwise). Event lines carry no "ok" key. Both sides ignore unknown keys,
// so fields can be added.

#include <chrono>
#include <cstdint>
#include <span>
#include <utility>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent-client/messages.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::runtime {

/// Release the container's start barrier.
struct StartCommand {
  bool operator==(const StartCommand&) const = default;
};
/// Signal the container's init (or every process with `all`, or the exec'd
/// process `exec_id`).
struct KillCommand {
  int signal = 15;
  bool all = false;
  std::string exec_id;  ///< empty: the container's init
  bool operator==(const KillCommand&) const = default;
};
/// List the guest pids of the container's processes (reply key "pids").
struct PsCommand {
  bool operator==(const PsCommand&) const = default;
};
/// Freeze the container's processes.
struct PauseCommand {
  bool operator==(const PauseCommand&) const = default;
};
/// Thaw a frozen container.
struct ResumeCommand {
  bool operator==(const ResumeCommand&) const = default;
};
/// Apply new limits; `resources` is an OCI linux.resources object.
struct UpdateCommand {
  nlohmann::json resources = nlohmann::json::object();
  bool operator==(const UpdateCommand&) const = default;
};
/// Read the container's cgroup counters (reply key "stats").
struct StatsCommand {
  bool operator==(const StatsCommand&) const = default;
};
/// Keep the connection open and stream the container's events.
struct SubscribeCommand {
  bool operator==(const SubscribeCommand&) const = default;
};
/// Start an extra process in the container. Its stdio travels with the
/// command as SCM_RIGHTS fds: the terminal when `terminal`, else stdin,
/// stdout and stderr. The connection stays open until the exit event.
struct ExecCommand {
  nlohmann::json process = nlohmann::json::object();  ///< an OCI process object
  bool terminal = false;
  bool operator==(const ExecCommand&) const = default;
};
/// Create a pod member in the sandbox's VM (pod_member.hpp). Its fds travel
/// with the command: the member's listening control socket, the monitor's
/// end of the socketpair with its stand-in, then its stdio.
struct CreateMemberCommand {
  std::string id;
  nlohmann::json spec = nlohmann::json::object();  ///< rewritten to guest paths
  bool terminal = false;
  /// Namespaces ("ipc", "uts", "pid") the member shares with the sandbox
  /// container: the guest spec then names the sandbox init's.
  std::vector<std::string> join;
  bool operator==(const CreateMemberCommand&) const = default;
};
/// Remove a pod member from the VM (its processes are killed first).
struct RemoveCommand {
  bool operator==(const RemoveCommand&) const = default;
};
/// Carry interfaces the engine added to the container's network namespace
/// after create (late network, late_network.hpp) into the VM: their taps
/// travel with the command, one fd per interface in order; each becomes a
/// hot-plugged NIC that the agent moves into the container's namespace.
struct PlugNetworkCommand {
  nlohmann::json network = nlohmann::json::object();  ///< an agent ConfigureNetwork request
  bool operator==(const PlugNetworkCommand&) const = default;
};

/// One command to the monitor.
using MonitorCommand = std::variant<StartCommand, KillCommand, PsCommand, PauseCommand, ResumeCommand,
                                    UpdateCommand, StatsCommand, SubscribeCommand, ExecCommand,
                                    CreateMemberCommand, RemoveCommand, PlugNetworkCommand>;

/// Event of a subscription: the OOM killer acted in the container.
struct OomEvent {
  bool operator==(const OomEvent&) const = default;
};
/// Event of a subscription, always the last: the container exited.
struct ExitEvent {
  int status = 0;  ///< exit code, or 128+signal
  bool operator==(const ExitEvent&) const = default;
};
/// One event line of a subscription.
using MonitorEvent = std::variant<OomEvent, ExitEvent>;

/// Name of the control socket inside the container dir.
inline constexpr const char* monitor_socket_name = "monitor.sock";

/// The command's JSON line (without the newline).
std::string encode_command(const MonitorCommand& command);
/// Parses a command line; invalid_argument for anything else (the monitor
/// answers it with ok:false). Signals must be 1..64; update's resources must
/// be a JSON object.
Result<MonitorCommand> decode_command(std::string_view line);

/// The reply line for `result`.
std::string encode_reply(const Result<void>& result);
/// A successful reply carrying `fields` (a JSON object) beside "ok":true:
/// encode_reply_value({{"pids", {1, 7}}}) is {"ok":true,"pids":[1,7]}. A
/// field named "ok" in `fields` is ignored.
std::string encode_reply_value(const nlohmann::json& fields);
/// Parses a reply line: the whole reply object when ok, or the monitor's
/// error (kind system unless it said otherwise).
Result<nlohmann::json> decode_reply_value(std::string_view line);
/// decode_reply_value without the value.
Result<void> decode_reply(std::string_view line);

/// The guest pids of a ps reply object.
Result<std::vector<std::int64_t>> pids_from_reply(const nlohmann::json& reply);
/// The stats of a stats reply object.
Result<agent_client::ContainerStats> stats_from_reply(const nlohmann::json& reply);

/// An event's JSON line (without the newline).
std::string encode_event(const MonitorEvent& event);
/// Parses an event line; protocol error for anything else.
Result<MonitorEvent> decode_event(std::string_view line);

/// Connects to the monitor at `socket_path`, sends `command` and waits up to
/// `timeout` for its reply; returns the whole reply object.
Result<nlohmann::json> send_monitor_request(const std::string& socket_path, const MonitorCommand& command,
                                            std::chrono::milliseconds timeout);
/// send_monitor_request with `fds` passed along (SCM_RIGHTS).
Result<nlohmann::json> send_monitor_request(const std::string& socket_path, const MonitorCommand& command,
                                            std::span<const int> fds, std::chrono::milliseconds timeout);
/// send_monitor_request for commands whose reply carries nothing.
Result<void> send_monitor_command(const std::string& socket_path, const MonitorCommand& command,
                                  std::chrono::milliseconds timeout);

/// Reads one line (without '\n') from `fd` within `timeout`; at most 64 KiB.
/// Bytes after the newline are lost: for one-line exchanges only.
Result<std::string> read_line(int fd, std::chrono::milliseconds timeout);

/// Reads successive lines from a stream, keeping what follows a newline for
/// the next call. Does not own the fd.
class LineReader {
 public:
  /// Reads from `fd`, which must stay open while this reader is used.
  explicit LineReader(int fd) : fd_(fd) {}
  /// The next line (without '\n') within `timeout`; at most 64 KiB. protocol
  /// error "connection closed" at end of stream, timeout when none came.
  Result<std::string> next(std::chrono::milliseconds timeout);

 private:
  int fd_;
  std::string buffer_;
};

/// An open event subscription to a container's monitor.
class MonitorSubscription {
 public:
  /// Connects to the monitor at `socket_path`, sends subscribe and waits up
  /// to `timeout` for its acceptance.
  static Result<MonitorSubscription> open(const std::string& socket_path, std::chrono::milliseconds timeout);

  /// Sends `command` with the process's stdio `fds` to the monitor at
  /// `socket_path` and waits up to `timeout` for the process to start; the
  /// session (whose last event is the process's exit) and the reply
  /// ("exec_id", "pid").
  static Result<std::pair<MonitorSubscription, nlohmann::json>> open_exec(const std::string& socket_path,
                                                                          const ExecCommand& command,
                                                                          std::span<const int> fds,
                                                                          std::chrono::milliseconds timeout);

  /// The next event within `timeout` (timeout error when none came). A
  /// closed connection without an exit event is a protocol error: the
  /// monitor died.
  Result<MonitorEvent> next(std::chrono::milliseconds timeout);
  /// The connection's fd, for poll().
  int fd() const { return fd_.get(); }

 private:
  explicit MonitorSubscription(UniqueFd fd) : fd_(std::move(fd)), reader_(fd_.get()) {}

  UniqueFd fd_;
  LineReader reader_;
};

}  // namespace kata::runtime
