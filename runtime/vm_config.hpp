#pragma once
// How a sandbox's VM is configured from configuration.toml: the QEMU and
// virtiofsd settings, with every socket and log inside the sandbox dir.
// Used by the sandbox monitor and by `kata check --boot`.

#include <string>

#include "common/error.hpp"
#include "hypervisor/qemu/qemu_config.hpp"
#include "hypervisor/qemu/virtiofsd.hpp"
#include "runtime/configuration.hpp"

namespace kata::runtime {

/// QEMU's QMP socket, inside the sandbox dir.
inline constexpr const char* qmp_socket_name = "qmp.sock";
/// The socket QEMU serves the agent's virtio-serial port on.
inline constexpr const char* agent_socket_name = "agent.sock";
/// virtiofsd's vhost-user socket.
inline constexpr const char* virtiofsd_socket_name = "virtiofsd.sock";
/// The guest's serial console.
inline constexpr const char* console_log_name = "console.log";

/// The VM of one sandbox.
struct VmConfigs {
  hypervisor::qemu::QemuConfig qemu;
  hypervisor::qemu::VirtiofsdConfig virtiofsd;
  std::string accel_reason;  ///< why TCG was chosen under accel = "auto"; empty otherwise
};

/// The VM configuration for the sandbox dir `dir` (absolute), which holds
/// `share/` (exported over virtio-fs), the sockets and console.log. Socket
/// paths that would not fit sun_path are given relative to `dir`, so the
/// caller must run QEMU with `dir` as its working directory in that case.
/// Fails when accel = "kvm" but KVM is not usable.
Result<VmConfigs> vm_configs_for(const Configuration& config, const std::string& dir, const std::string& name);

/// The last `lines` lines of the text file `path` (console.log), or a note
/// saying why there is none.
std::string file_tail(const std::string& path, std::size_t lines);

}  // namespace kata::runtime
