#pragma once

#include <string>
#include <vector>

#include "hypervisor/qemu/qemu_config.hpp"

namespace kata::hypervisor::qemu {

/// QEMU receives its QMP socket listening, as fd kQmpFd (QemuVm binds it
/// at QemuConfig::qmp_socket), so a client connects as soon as QEMU is
/// spawned and QEMU's greeting, not a poll for the path, says it is up.
inline constexpr int kQmpFd = 3;
/// The agent port's socket, listening, likewise (QemuConfig::agent_socket).
inline constexpr int kAgentFd = 4;
/// QEMU receives the tap fd of net_devices[n] as fd kFirstNetFd + n (QemuVm
/// maps host_fd there), so the argv does not depend on kata's fd numbers.
inline constexpr int kFirstNetFd = 5;

/// The guest kernel command line kata boots with: its own fixed parameters
/// (console, panic behaviour, boot-time savers) followed by config.kernel_params.
std::string kernel_command_line(const QemuConfig& config);

/// Whether the VM of `config` can take hot-added memory: q35 with free
/// slots and room above its boot memory.
bool memory_hotplug_possible(const QemuConfig& config);

/// The id of the nth empty PCIe root port (hotplug_ports), the bus a
/// hot-plugged NIC goes on.
std::string hotplug_port_id(unsigned n);

/// Whether the VM of `config` gets the standby NIC (QemuConfig::standby_nic:
/// asked for, on q35, with a port for it); hot-plugged NICs then start at
/// port 1.
bool has_standby_nic(const QemuConfig& config);

/// The full QEMU argv (argv[0] is config.binary). A pure function of the
/// configuration, so it is covered by golden tests. QEMU runs sandboxed
/// (-sandbox on), with no default devices, no network unless asked, no
/// display, and exits instead of rebooting.
std::vector<std::string> build_argv(const QemuConfig& config);

}  // namespace kata::hypervisor::qemu
