#pragma once
// Agent parameters, taken from the kernel command line (kata.<key>=<value>)
// because the guest has no other channel before the agent port is open.

#include <string>
#include <string_view>

#include "common/error.hpp"

namespace kata::agent {

/// What the agent needs to find the host; defaults match the runtime's.
struct AgentConfig {
  /// Name of the virtio-serial port the host talks on (kata.port=).
  std::string port_name = "agent.channel.0";
  /// virtio-fs tag of the shared directory (kata.share_tag=).
  std::string share_tag = "kataShared";
  /// Where the shared directory is mounted in the guest.
  std::string share_mount = "/run/kata-containers/shared";
  /// More console output (kata.debug, kata.debug=1).
  bool debug = false;
  /// A template boot (kata.template): the share is not mounted at boot,
  /// since each clone of this VM mounts its own after RestoreSandbox.
  bool template_boot = false;
};

/// Builds the configuration from the text of /proc/cmdline. Words without a
/// "kata." prefix belong to the kernel and are skipped; an unknown kata.* key
/// or a bad value is an invalid_argument error, so a typo is not silently ignored.
Result<AgentConfig> parse_kernel_cmdline(std::string_view cmdline);

}  // namespace kata::agent
