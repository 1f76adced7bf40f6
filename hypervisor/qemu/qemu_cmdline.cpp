#include "hypervisor/qemu/qemu_cmdline.hpp"

#include <fmt/format.h>

namespace kata::hypervisor::qemu {

namespace {

bool is_microvm(const QemuConfig& config) { return config.machine == Machine::microvm; }

// Device names differ between the PCI (q35) and MMIO (microvm) transports.
std::string device(const QemuConfig& config, const char* base) {
  return fmt::format("{}-{}", base, is_microvm(config) ? "device" : "pci");
}

}  // namespace

std::string hotplug_port_id(unsigned n) { return fmt::format("hotplug{}", n); }

bool has_standby_nic(const QemuConfig& config) {
  return config.standby_nic && !is_microvm(config) && config.hotplug_ports > 0;
}

bool memory_hotplug_possible(const QemuConfig& config) {
  return !is_microvm(config) && config.memory_slots > 0 && config.max_memory_mib > config.memory_mib;
}

std::string kernel_command_line(const QemuConfig& config) {
  std::string line = "console=ttyS0";
  // panic=-1 reboots at once on a guest panic and -no-reboot turns that into
  // QEMU exiting, so a dead guest never lingers.
  line += " panic=-1";
  line += config.debug ? " debug" : " quiet";
  // Skipping the crypto self-tests saves about 0.3 s of boot with Debian's
  // kernel (kata's is built with CRYPTO_MANAGER_DISABLE_TESTS).
  line += " cryptomgr.notests";
  // Seed the guest's RNG from the CPU (RDRAND: the host's under KVM, QEMU's
  // getrandom under TCG), as Debian's kernel does by default, so getrandom()
  // in a container does not block while a fresh VM gathers entropy.
  line += " random.trust_cpu=on";
  // Debian's kernel probes an i8042 keyboard controller the VM does not
  // have; kata's has no i8042 driver and ignores these (dotted parameters of
  // absent drivers are dropped, never passed to /init).
  line += " i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";
  if (is_microvm(config) && config.accel == Accel::tcg && config.tsc_khz != 0) {
    // Under TCG, microvm hangs in ~30% of boots while calibrating the TSC.
    line += fmt::format(" tsc_early_khz={}", config.tsc_khz);
  }
  // Memory plugged in later (a pod member's limit) is onlined by the guest
  // kernel as it arrives, whatever the kernel's built-in policy (Debian's
  // leaves it offline), so no agent call has to race the ACPI event.
  if (memory_hotplug_possible(config)) line += " memhp_default_state=online";
  // NICs plugged into the empty PCIe root ports later: the kernel's native
  // PCIe hot-plug driver takes the ports whatever the firmware's _OSC says.
  if (!is_microvm(config) && config.hotplug_ports > 0) line += " pcie_ports=native";
  if (!config.kernel_params.empty()) line += " " + config.kernel_params;
  return line;
}

std::vector<std::string> build_argv(const QemuConfig& config) {
  std::vector<std::string> argv = {config.binary};
  auto add = [&argv](std::string option, std::string value) {
    argv.push_back(std::move(option));
    argv.push_back(std::move(value));
  };

  add("-name", config.name);
  // A TCG option needs -accel, which QEMU refuses beside -machine accel=.
  bool accel_options = config.accel == Accel::tcg && config.tcg_tb_size_mib != 0;
  std::string accel = accel_options ? "" : fmt::format("accel={},", config.accel == Accel::kvm ? "kvm" : "tcg");
  if (accel_options) add("-accel", fmt::format("tcg,tb-size={}", config.tcg_tb_size_mib));
  // Guest memory is a shared memfd: vhost-user-fs (virtiofsd) maps it. A
  // template's is a file it writes; a clone maps that file copy-on-write.
  if (config.memory_file)
    add("-object", fmt::format("memory-backend-file,id=mem,size={}M,mem-path={},share={}", config.memory_mib,
                               config.memory_file->path, config.memory_file->shared ? "on" : "off"));
  else
    add("-object", fmt::format("memory-backend-memfd,id=mem,size={}M,share=on", config.memory_mib));
  if (is_microvm(config)) {
    // The RTC stays: it is where the guest kernel reads the wall clock at
    // boot (without it a container's clock starts at 1970).
    add("-machine", fmt::format("microvm,{}memory-backend=mem,pic=off,pit=off,rtc=on,isa-serial=on", accel));
    // virtiofsd refuses legacy virtio-mmio devices.
    add("-global", "virtio-mmio.force-legacy=false");
  } else {
    add("-machine", fmt::format("q35,{}memory-backend=mem", accel));
  }
  add("-cpu", config.accel == Accel::kvm ? "host" : "max");
  add("-smp", std::to_string(config.vcpus));
  // Slots and an upper bound reserve room for pc-dimm memory added later;
  // they cost address space, not memory.
  add("-m", memory_hotplug_possible(config) ? fmt::format("{}M,slots={},maxmem={}M", config.memory_mib,
                                                           config.memory_slots, config.max_memory_mib)
                                            : fmt::format("{}M", config.memory_mib));

  if (!config.firmware.empty()) add("-bios", config.firmware);
  add("-kernel", config.kernel);
  add("-initrd", config.initrd);
  add("-append", kernel_command_line(config));

  argv.insert(argv.end(), {"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"});
  // QEMU gives up privileges it does not need: no spawning, no setuid, no
  // obsolete syscalls, no changing its own scheduling.
  add("-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");

  add("-chardev", fmt::format("file,id=console,path={}", config.console_log));
  add("-serial", "chardev:console");
  add("-chardev", fmt::format("socket,id=qmp,fd={},server=on,wait=off", kQmpFd));
  add("-mon", "chardev=qmp,mode=control");

  add("-device", fmt::format("{},id=serial0", device(config, "virtio-serial")));
  add("-chardev", fmt::format("socket,id=agent,fd={},server=on,wait=off", kAgentFd));
  add("-device", fmt::format("virtserialport,chardev=agent,name={}", config.agent_port_name));

  if (!config.virtiofs_socket.empty()) {
    add("-chardev", fmt::format("socket,id=virtiofs,path={}", config.virtiofs_socket));
    add("-device", fmt::format("{},chardev=virtiofs,tag={}", device(config, "vhost-user-fs"), config.virtiofs_tag));
  }

  if (!config.share_9p_dir.empty()) {
    // QEMU serves the directory itself; multidevs=remap keeps inode numbers
    // unique across the bind mounts below it (several filesystems).
    add("-fsdev", fmt::format("local,id=share9p,path={},security_model=passthrough,multidevs=remap",
                              config.share_9p_dir));
    add("-device", fmt::format("{},fsdev=share9p,mount_tag={}", device(config, "virtio-9p"), config.virtiofs_tag));
  }
  if (!is_microvm(config) && config.hotplug_ports > 0) {
    // q35 hands PCI hot-plug to ACPI by default, which needs the guest's
    // ACPI PCI hot-plug driver; native PCIe hot-plug (pciehp) in the root
    // ports is what kata's kernel has.
    add("-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off");
    for (unsigned n = 0; n < config.hotplug_ports; ++n)
      add("-device", fmt::format("pcie-root-port,id={},chassis={},slot={}", hotplug_port_id(n), n + 1, n + 1));
    if (has_standby_nic(config)) {
      std::string backend = config.net_devices.empty() ? "" : ",netdev=" + config.net_devices.front().id;
      add("-device", fmt::format("virtio-net-pci,id=standby-nic,mac={},bus={}{},romfile=", standby_nic_mac,
                                 hotplug_port_id(0), backend));
    }
  }

  for (std::size_t n = 0; n < config.net_devices.size(); ++n) {
    const NetDevice& net = config.net_devices[n];
    // QEMU reads IFF_VNET_HDR from the tap fd itself (and refuses vnet_hdr=
    // together with fd=), so offloads pass through without saying so.
    add("-netdev", fmt::format("tap,id={},fd={}", net.id, kFirstNetFd + static_cast<int>(n)));
    if (n == 0 && has_standby_nic(config)) continue;  // the standby NIC's backend: its device is above
    // romfile= : no PXE option ROM (the kernel is booted directly, and the
    // ROM file may not be installed).
    add("-device", is_microvm(config) ? fmt::format("virtio-net-device,netdev={},mac={}", net.id, net.mac)
                                      : fmt::format("virtio-net-pci,netdev={},mac={},romfile=", net.id, net.mac));
  }
  if (config.incoming) add("-incoming", "defer");
  return argv;
}

}  // namespace kata::hypervisor::qemu
