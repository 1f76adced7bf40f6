#pragma once
// The sandbox monitor: the process `create` forks to own the VM. The
// container's pid for engines is not the monitor's but its stand-in's
// (stand_in.hpp), which lives in the container's namespaces while the
// monitor needs the host's. The monitor starts the VM (QEMU + virtiofsd as
// its children, which die with it: parent-death signal), creates the
// container through the agent, reports the outcome to `create` on a pipe,
// then runs one event loop until the container exits: it relays the
// container's stdio (the fds create inherited, or its terminal) and that of
// every exec'd process (fds handed over by `kata exec`), serves monitor.sock
// (start, kill, exec, ps, pause, resume, update, stats, subscribe), forwards
// the signals the stand-in (or the monitor itself) gets to the container,
// follows terminal window sizes and notices a dead QEMU or virtiofsd. It
// also serves the pod's members (create_member.hpp): each comes with a
// control socket of its own, its stdio and its stand-in's socket, and is
// one more container in the same VM with the same services. A member's
// exit is recorded and handed to its stand-in at once; the sandbox's ends
// the pod (members still running are killed). Then it records the exit
// statuses, has the guest flush and stop, hands each stand-in its status
// and waits for QEMU to exit.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "agent-client/messages.hpp"
#include "common/unique_fd.hpp"
#include "hypervisor/qemu/qemu_config.hpp"
#include "runtime/configuration.hpp"
#include "runtime/vm_config.hpp"
#include "runtime/container_record.hpp"

namespace kata::runtime {

/// The container's network as the VM gets it (tcfilter model): QEMU's tap
/// devices (fds inherited from create) and the agent's request. Empty: the
/// guest has loopback only.
struct GuestNetwork {
  std::vector<hypervisor::qemu::NetDevice> devices;
  agent_client::ConfigureNetwork request;
};

/// What the monitor needs; all paths absolute.
struct MonitorParams {
  std::string id;
  std::string state_root;   ///< --root, to record the exit status
  std::string dir;          ///< the container dir (<root>/<id>)
  Configuration config;
  nlohmann::json guest_spec;  ///< spec rewritten to guest paths
  int report_fd = -1;         ///< write end of create's report pipe
  bool terminal = false;      ///< the spec's process.terminal
  /// With `terminal`: the pty slave whose master went to the console
  /// socket; -1 to use the inherited stdin/stdout (a foreground run on the
  /// caller's own terminal).
  int terminal_fd = -1;
  GuestNetwork network;       ///< configured after the agent handshake, before create_container
  /// Hot-plug ports a cold boot keeps free for interfaces the engine adds
  /// after create (late network; a clone has the template's); 0: none.
  unsigned late_nic_ports = 0;
  /// The monitor's end of the socketpair with the container's stand-in
  /// (stand_in.hpp): signals arrive on it, the exit status leaves on it,
  /// EOF means the stand-in was killed.
  int stand_in_fd = -1;
  /// The host cgroup's directories (host_cgroup.hpp) the monitor joins
  /// before it starts QEMU and virtiofsd, which inherit them; empty: none.
  std::vector<std::string> host_cgroup;
};

/// How many interfaces a late network may bring (podman attaches one per
/// network the container joins): a PCIe root port each, kept free.
inline constexpr unsigned late_network_ports = 2;

/// QEMU's and virtiofsd's own stdout/stderr, and the monitor's diagnostics.
inline constexpr const char* monitor_log_name = "monitor.log";

/// Runs the monitor in the current (freshly forked) process and exits it
/// with the container's status (or 1 when creation failed). Never returns.
[[noreturn]] void run_sandbox_monitor(const MonitorParams& params);

/// The report line for a successful creation with its boot timings.
std::string encode_monitor_report(const Result<std::vector<BootPhase>>& outcome);
/// Parses the report line; the monitor's error as is when creation failed.
Result<std::vector<BootPhase>> decode_monitor_report(std::string_view line);


}  // namespace kata::runtime
