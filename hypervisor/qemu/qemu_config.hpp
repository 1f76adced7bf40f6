#pragma once

#include <optional>
#include <string>
#include <vector>

namespace kata::hypervisor::qemu {

/// CPU virtualisation QEMU uses. Resolved before the argv is built (see
/// accel.hpp), so the argv builder stays a pure function.
enum class Accel { kvm, tcg };

/// Machine model: q35 (PCI, the default: never hung in our TCG boots) or
/// microvm (MMIO, a little faster to boot).
enum class Machine { q35, microvm };

/// A virtio-net device backed by a tap fd kata opened (tcfilter model).
struct NetDevice {
  std::string id;   ///< netdev id ("net0")
  std::string mac;  ///< guest MAC: the mirrored host interface's
  int host_fd = -1; ///< the tap fd in the process spawning QEMU (opened with IFF_VNET_HDR); not in the argv
  bool operator==(const NetDevice&) const = default;
};

/// MAC of the standby NIC (QemuConfig::standby_nic): locally administered,
/// "kata" in ASCII; the agent gives the NIC its tap's MAC.
inline constexpr const char* standby_nic_mac = "02:6b:61:74:61:00";

/// Guest memory in a file instead of a memfd (VM templating): the template
/// writes its memory there, shared, and each clone maps it privately, so
/// clones share the template's pages until they write them.
struct MemoryFile {
  std::string path;
  bool shared = false;  ///< share=on: writes reach the file (the template); off: copy-on-write (a clone)
  bool operator==(const MemoryFile&) const = default;
};

/// Everything the QEMU command line depends on. Built by the runtime from the
/// configuration, annotations and the spec's resources; paths are host paths
/// inside the sandbox's state directory.
struct QemuConfig {
  std::string binary = "/usr/bin/qemu-system-x86_64";  ///< QEMU executable
  std::string name;                                    ///< VM name shown in ps and QMP ("kata-<id>")
  Accel accel = Accel::tcg;
  Machine machine = Machine::q35;
  unsigned vcpus = 1;
  unsigned memory_mib = 512;
  /// pc-dimm slots for memory added while the VM runs (q35 only); 0: none.
  unsigned memory_slots = 0;
  /// The most memory the VM may reach with hot-added memory; at or below
  /// memory_mib: no hot-plug.
  unsigned max_memory_mib = 0;
  std::string kernel;                ///< guest kernel image
  std::string initrd;                ///< guest initramfs holding the agent
  std::string kernel_params;         ///< extra kernel parameters, appended after kata's own
  std::string firmware;              ///< -bios image; empty: QEMU's default for the machine
  unsigned long tsc_khz = 0;         ///< host TSC frequency; microvm under TCG hangs without it
  unsigned tcg_tb_size_mib = 0;      ///< TCG translation cache size; 0: QEMU's default
  std::string console_log;           ///< file receiving the guest's serial console
  std::string qmp_socket;            ///< QMP unix socket QEMU listens on (bound by QemuVm, passed as kQmpFd)
  std::string agent_socket;          ///< the agent's virtio-serial port's unix socket (likewise, kAgentFd)
  std::string agent_port_name = "agent.channel.0";  ///< virtio-serial port name the agent looks for
  std::string virtiofs_socket;       ///< virtiofsd's vhost-user socket; empty: no shared filesystem
  std::string virtiofs_tag = "kataShared";  ///< mount tag the agent mounts
  /// Guest memory from a file (templating); unset: a shared memfd.
  std::optional<MemoryFile> memory_file;
  /// Host directory served over virtio-9p by QEMU itself (with
  /// virtiofs_tag), for VMs whose memory virtiofsd cannot map (a clone's is
  /// private); empty: none. Exclusive with virtiofs_socket.
  std::string share_9p_dir;
  /// Start paused, waiting for a migration stream (a template's clone):
  /// `-incoming defer`, then QMP migrate-incoming.
  bool incoming = false;
  /// Empty PCIe root ports (q35) for NICs plugged in after start.
  unsigned hotplug_ports = 0;
  /// A virtio-net device (MAC standby_nic_mac) in the first hot-plug port
  /// from the start, for templates and their clones: a clone's first NIC
  /// then needs no PCIe hot-plug, which the guest takes some 100 ms to
  /// finish under TCG. net_devices[0], if any, is its backend rather than a
  /// device of its own (a template's has none: the device migrates, its
  /// backend does not). Needs q35 and hotplug_ports > 0.
  bool standby_nic = false;
  bool debug = false;                ///< verbose guest kernel console
  /// Network devices; the nth tap fd is fd kFirstNetFd+n in QEMU (see qemu_cmdline.hpp).
  std::vector<NetDevice> net_devices;
};

}  // namespace kata::hypervisor::qemu
