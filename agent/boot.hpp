#pragma once
// The boot steps of PID 1, in order, each logged to the console with the
// time since the kernel started.

#include "agent/config.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {

/// What boot hands to the service loop; it owns both fds.
struct BootResult {
  AgentConfig config;
  UniqueFd port;     ///< the host's virtio-serial port
  UniqueFd signals;  ///< signalfd for SIGCHLD and power-off signals
  bool cgroups = false;  ///< cgroup2 is mounted at kCgroupRoot
};

/// Mounts the base filesystems, takes over signals, reads the kernel command
/// line, loads the modules, opens the agent port and mounts the shared dir.
Result<BootResult> boot();

}  // namespace kata::agent
