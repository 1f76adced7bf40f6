#pragma once

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
  unsigned long tsc_khz = 0;         ///< host TSC frequency; microvm under TCG hangs without it
  unsigned tcg_tb_size_mib = 0;      ///< TCG translation cache size; 0: QEMU's default
  std::string console_log;           ///< file receiving the guest's serial console
  std::string qmp_socket;            ///< QMP unix socket QEMU listens on
  std::string agent_socket;          ///< unix socket QEMU listens on for the agent's virtio-serial port
  std::string agent_port_name = "agent.channel.0";  ///< virtio-serial port name the agent looks for
  std::string virtiofs_socket;       ///< virtiofsd's vhost-user socket; empty: no shared filesystem
  std::string virtiofs_tag = "kataShared";  ///< mount tag the agent mounts
  bool debug = false;                ///< verbose guest kernel console
  /// Network devices; the nth tap fd is fd kFirstNetFd+n in QEMU (see qemu_cmdline.hpp).
  std::vector<NetDevice> net_devices;
};

}  // namespace kata::hypervisor::qemu
