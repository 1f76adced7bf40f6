#pragma once
// Control messages of the host <-> agent protocol: one struct per RPC request,
// its response and each event, with conversion to and from JSON, plus the
// envelopes that put them into request/response/event frames. Shared by the
// host client and the guest agent so both compile against one definition.
//
// Each request struct names its wire op (kOp) and its response type
// (Response). to_json() never fails; from_json() validates every field and
// returns a protocol error on a missing field, a wrong type or a value out
// of range. Unknown fields are ignored so that a minor protocol version can
// add optional fields.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent-client/frame.hpp"
#include "common/error.hpp"

namespace kata::agent_client {

/// Largest pid list a ListProcesses response may carry.
inline constexpr std::size_t kMaxListedProcesses = 65536;

/// Response of RPCs that return nothing but success or an error.
struct Empty {
  nlohmann::json to_json() const;
  static Result<Empty> from_json(const nlohmann::json& json);
};

/// Stream ids (see StreamTable) carrying a process's stdio; 0 means the
/// process has no such stream (e.g. stderr with a terminal: the pty merges
/// it into stdout). The host picks the ids, unique per connection.
struct StdioStreams {
  std::uint32_t stdin_id = 0;   ///< host -> guest
  std::uint32_t stdout_id = 0;  ///< guest -> host
  std::uint32_t stderr_id = 0;  ///< guest -> host
  nlohmann::json to_json() const;
  static Result<StdioStreams> from_json(const nlohmann::json& json);
};

/// Reply carrying the guest pid of a new process.
struct ProcessStarted {
  std::int64_t pid = 0;
  nlohmann::json to_json() const;
  static Result<ProcessStarted> from_json(const nlohmann::json& json);
};

/// Creates a container (its init process waits at the start barrier). `spec`
/// is the OCI runtime spec rewritten to guest paths; `terminal` asks for a pty.
struct CreateContainer {
  static constexpr std::string_view kOp = "create_container";
  using Response = ProcessStarted;
  std::string container_id;
  nlohmann::json spec = nlohmann::json::object();
  StdioStreams stdio;
  bool terminal = false;
  nlohmann::json to_json() const;
  static Result<CreateContainer> from_json(const nlohmann::json& json);
};

/// Releases the start barrier: the container's init execs its process.
struct StartContainer {
  static constexpr std::string_view kOp = "start_container";
  using Response = Empty;
  std::string container_id;
  nlohmann::json to_json() const;
  static Result<StartContainer> from_json(const nlohmann::json& json);
};

/// Kills what is left of a container in the guest and releases its resources
/// (mounts, cgroup); one container of a pod, the sandbox stays up.
struct RemoveContainer {
  static constexpr std::string_view kOp = "remove_container";
  using Response = Empty;
  std::string container_id;
  nlohmann::json to_json() const;
  static Result<RemoveContainer> from_json(const nlohmann::json& json);
};

/// Runs an extra process in a container. `process` is an OCI process object.
struct ExecProcess {
  static constexpr std::string_view kOp = "exec_process";
  using Response = ProcessStarted;
  std::string container_id;
  std::string exec_id;
  nlohmann::json process = nlohmann::json::object();
  StdioStreams stdio;
  nlohmann::json to_json() const;
  static Result<ExecProcess> from_json(const nlohmann::json& json);
};

/// Sends `signal` to a process (exec_id empty: the container's init); `all`
/// signals every process of the container.
struct SignalProcess {
  static constexpr std::string_view kOp = "signal_process";
  using Response = Empty;
  std::string container_id;
  std::string exec_id;
  std::int32_t signal = 0;  ///< 1..64
  bool all = false;
  nlohmann::json to_json() const;
  static Result<SignalProcess> from_json(const nlohmann::json& json);
};

/// Reply of WaitProcess: exit code, or 128+signal when killed by a signal.
struct ProcessStatus {
  std::int32_t status = 0;  ///< 0..255
  nlohmann::json to_json() const;
  static Result<ProcessStatus> from_json(const nlohmann::json& json);
};

/// Waits for a process (exec_id empty: init) to exit and reports its status.
struct WaitProcess {
  static constexpr std::string_view kOp = "wait_process";
  using Response = ProcessStatus;
  std::string container_id;
  std::string exec_id;
  nlohmann::json to_json() const;
  static Result<WaitProcess> from_json(const nlohmann::json& json);
};

/// Closes a process's stdin in the guest at once, discarding stream data not
/// yet delivered. The normal EOF is a stream_close frame on the stdin stream.
struct CloseStdin {
  static constexpr std::string_view kOp = "close_stdin";
  using Response = Empty;
  std::string container_id;
  std::string exec_id;
  nlohmann::json to_json() const;
  static Result<CloseStdin> from_json(const nlohmann::json& json);
};

/// Sets the window size of a process's pty.
struct ResizeTty {
  static constexpr std::string_view kOp = "resize_tty";
  using Response = Empty;
  std::string container_id;
  std::string exec_id;
  std::uint32_t rows = 0;  ///< 0..65535
  std::uint32_t cols = 0;  ///< 0..65535
  nlohmann::json to_json() const;
  static Result<ResizeTty> from_json(const nlohmann::json& json);
};

/// Reply of ListProcesses: guest pids of the container's processes.
struct ProcessList {
  std::vector<std::int64_t> pids;
  nlohmann::json to_json() const;
  static Result<ProcessList> from_json(const nlohmann::json& json);
};

/// Lists the processes of a container (for `kata ps`).
struct ListProcesses {
  static constexpr std::string_view kOp = "list_processes";
  using Response = ProcessList;
  std::string container_id;
  nlohmann::json to_json() const;
  static Result<ListProcesses> from_json(const nlohmann::json& json);
};

/// Freezes every process of a container (cgroup freezer).
struct PauseContainer {
  static constexpr std::string_view kOp = "pause_container";
  using Response = Empty;
  std::string container_id;
  nlohmann::json to_json() const;
  static Result<PauseContainer> from_json(const nlohmann::json& json);
};

/// Thaws a paused container.
struct ResumeContainer {
  static constexpr std::string_view kOp = "resume_container";
  using Response = Empty;
  std::string container_id;
  nlohmann::json to_json() const;
  static Result<ResumeContainer> from_json(const nlohmann::json& json);
};

/// Applies new cgroup limits; `resources` is an OCI linux.resources object.
struct UpdateContainer {
  static constexpr std::string_view kOp = "update_container";
  using Response = Empty;
  std::string container_id;
  nlohmann::json resources = nlohmann::json::object();
  nlohmann::json to_json() const;
  static Result<UpdateContainer> from_json(const nlohmann::json& json);
};

/// Reply of StatsContainer: cgroup counters read in the guest.
struct ContainerStats {
  struct Memory {
    std::uint64_t usage_bytes = 0;
    std::uint64_t limit_bytes = 0;  ///< 0: unlimited
  } memory;
  struct Cpu {
    std::uint64_t usage_ns = 0;
    std::uint64_t user_ns = 0;
    std::uint64_t system_ns = 0;
  } cpu;
  struct Pids {
    std::uint64_t current = 0;
    std::uint64_t limit = 0;  ///< 0: unlimited
  } pids;
  nlohmann::json to_json() const;
  static Result<ContainerStats> from_json(const nlohmann::json& json);
};

/// Reads a container's resource usage (for `kata events --stats`).
struct StatsContainer {
  static constexpr std::string_view kOp = "stats_container";
  using Response = ContainerStats;
  std::string container_id;
  nlohmann::json to_json() const;
  static Result<StatsContainer> from_json(const nlohmann::json& json);
};

/// Kills every process and powers the guest off after replying.
struct DestroySandbox {
  static constexpr std::string_view kOp = "destroy_sandbox";
  using Response = Empty;
  nlohmann::json to_json() const;
  static Result<DestroySandbox> from_json(const nlohmann::json& json);
};

/// Most entropy bytes one RestoreSandbox carries.
inline constexpr std::size_t kMaxRestoreEntropy = 512;

/// Makes a VM restored from a template its own (VM templating): the guest
/// adds the host's fresh entropy to its pool and reseeds its CRNG, so no two
/// clones share random numbers; sets its clock to the host's (the
/// template's stopped when it was saved); then mounts the sandbox's share,
/// which a template boot leaves unmounted, over virtio-9p.
struct RestoreSandbox {
  static constexpr std::string_view kOp = "restore_sandbox";
  using Response = Empty;
  std::string entropy;            ///< random bytes, hex-encoded (1 to kMaxRestoreEntropy bytes)
  std::int64_t realtime_ns = 0;   ///< the host's CLOCK_REALTIME
  std::string share_tag;          ///< the 9p mount tag of the share
  nlohmann::json to_json() const;
  static Result<RestoreSandbox> from_json(const nlohmann::json& json);
};

/// Largest number of interfaces (and of addresses per interface) a
/// ConfigureNetwork request may carry.
inline constexpr std::size_t kMaxNetworkInterfaces = 64;
/// Largest number of routes a ConfigureNetwork request may carry.
inline constexpr std::size_t kMaxNetworkRoutes = 1024;

/// One guest network interface, found by its MAC address.
struct NetworkInterface {
  std::string mac;   ///< "aa:bb:cc:dd:ee:ff", lower case
  std::string name;  ///< name the guest gives the interface (the host veth's), at most 15 bytes
  std::uint32_t mtu = 0;  ///< 68..65535
  std::vector<std::string> addresses;  ///< "10.0.0.2/24", "fd00::2/64"
  /// The MAC the guest's device has now, when it is not `mac` (a clone's
  /// standby NIC): the agent finds the device by it and gives it `mac`.
  /// Empty: the device has `mac` already. Omitted from the JSON when empty.
  std::string device_mac;
  nlohmann::json to_json() const;
  static Result<NetworkInterface> from_json(const nlohmann::json& json);
  bool operator==(const NetworkInterface&) const = default;
};

/// One route of the guest's main table.
struct NetworkRoute {
  std::string dest;     ///< "default" or "10.0.0.0/24" / "fd00::/64"
  std::string gateway;  ///< empty: on-link
  std::string device;   ///< NetworkInterface::name
  std::string source;   ///< preferred source address; empty: none
  std::uint32_t scope = 0;  ///< RT_SCOPE_* (0 universe, 253 link), 0..255
  nlohmann::json to_json() const;
  static Result<NetworkRoute> from_json(const nlohmann::json& json);
  bool operator==(const NetworkRoute&) const = default;
};

/// Configures the guest's network before the first container is created:
/// brings lo up, and for each interface (matched by MAC) sets name, MTU and
/// addresses and brings it up, then adds the routes. An empty request only
/// brings lo up.
struct ConfigureNetwork {
  static constexpr std::string_view kOp = "configure_network";
  using Response = Empty;
  std::vector<NetworkInterface> interfaces;
  std::vector<NetworkRoute> routes;
  /// Empty: the guest's root namespace (the agent's). Else the container
  /// whose own network namespace gets the interfaces, moved there once they
  /// appear (an engine that configures the namespace only after create).
  /// Omitted from the JSON when empty.
  std::string container_id;
  nlohmann::json to_json() const;
  static Result<ConfigureNetwork> from_json(const nlohmann::json& json);
};

/// Any control request. Order is irrelevant on the wire (ops are named).
using Request = std::variant<CreateContainer, StartContainer, RemoveContainer, ExecProcess, SignalProcess,
                             WaitProcess, CloseStdin, ResizeTty, ListProcesses, PauseContainer, ResumeContainer,
                             UpdateContainer, StatsContainer, DestroySandbox, ConfigureNetwork, RestoreSandbox>;

/// Wire name of a request ("create_container").
std::string_view op_name(const Request& request);

/// A request frame with `request_id` (non-zero): {"op": ..., "args": {...}}.
Result<std::string> encode_request(std::uint32_t request_id, const Request& request);

/// A decoded request frame.
struct IncomingRequest {
  std::uint32_t id = 0;
  Request request;
};

/// Decodes a request frame; protocol error on anything but a request frame
/// with a known op and valid arguments.
Result<IncomingRequest> decode_request(const Frame& frame);

/// A successful response frame for request `request_id`: {"ok": body}.
Result<std::string> encode_response(std::uint32_t request_id, const nlohmann::json& body);

/// A response frame reporting that request `request_id` failed:
/// {"error": {"kind": "system", "errno": 1, "message": "..."}}. The message
/// should name the failed step ("mount proc on /proc: Operation not
/// permitted"); the host adds its own context when it wraps the error.
Result<std::string> encode_error_response(std::uint32_t request_id, const Error& error);

/// A decoded response frame: the request id and either the body or the
/// agent's error (kind and errno preserved; an unknown kind becomes internal).
struct IncomingResponse {
  std::uint32_t id = 0;
  Result<nlohmann::json> outcome = nlohmann::json::object();
};

/// Decodes a response frame; fails with protocol only if the frame itself is
/// malformed. An error the agent reported is in `outcome`, not here.
Result<IncomingResponse> decode_response(const Frame& frame);

/// The typed body of a response: the agent's error as is, or Body::from_json
/// of the body (protocol error if it does not match).
template <typename Body>
Result<Body> response_body(const IncomingResponse& response) {
  if (!response.outcome) return response.outcome.error();
  return Body::from_json(*response.outcome).wrap("response");
}

/// Event: a process exited (sent after the EOF of its stdout and stderr
/// streams, so the host has all its output by then).
struct ProcessExited {
  static constexpr std::string_view kEvent = "process_exited";
  std::string container_id;
  std::string exec_id;  ///< empty: the container's init
  std::int32_t status = 0;  ///< exit code or 128+signal
  nlohmann::json to_json() const;
  static Result<ProcessExited> from_json(const nlohmann::json& json);
};

/// Event: the kernel's OOM killer acted in a container's cgroup.
struct Oom {
  static constexpr std::string_view kEvent = "oom";
  std::string container_id;
  nlohmann::json to_json() const;
  static Result<Oom> from_json(const nlohmann::json& json);
};

/// Any asynchronous event from the agent.
using Event = std::variant<ProcessExited, Oom>;

/// An event frame: {"event": ..., "data": {...}}.
Result<std::string> encode_event(const Event& event);
/// Decodes an event frame; protocol error on an unknown event or bad data.
Result<Event> decode_event(const Frame& frame);

}  // namespace kata::agent_client
