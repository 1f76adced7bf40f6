#include "runtime/vm_config.hpp"

#include <sstream>
#include <vector>

#include "common/fs.hpp"
#include "hypervisor/accel.hpp"

namespace kata::runtime {

namespace {

std::string cache_name(VirtioFsCache cache) {
  switch (cache) {
    case VirtioFsCache::never: return "none";
    case VirtioFsCache::always: return "always";
    case VirtioFsCache::automatic: break;
  }
  return "auto";
}

hypervisor::AccelSetting accel_setting(Accel accel) {
  switch (accel) {
    case Accel::kvm: return hypervisor::AccelSetting::kvm;
    case Accel::tcg: return hypervisor::AccelSetting::tcg;
    case Accel::automatic: break;
  }
  return hypervisor::AccelSetting::automatic;
}

}  // namespace

Result<VmConfigs> vm_configs_for(const Configuration& config, const std::string& dir, const std::string& name) {
  auto accel = KATA_TRY(hypervisor::resolve_accel(accel_setting(config.hypervisor.accel)).wrap("choose accelerator"));
  VmConfigs plan;
  plan.accel_reason = accel.reason;
  auto& qemu = plan.qemu;
  qemu.binary = config.hypervisor.path;
  qemu.name = name;
  qemu.accel = accel.accel;
  qemu.machine = config.hypervisor.machine_type == MachineType::microvm ? hypervisor::qemu::Machine::microvm
                                                                        : hypervisor::qemu::Machine::q35;
  qemu.vcpus = config.hypervisor.default_vcpus;
  qemu.memory_mib = config.hypervisor.default_memory;
  qemu.kernel = config.hypervisor.kernel;
  qemu.initrd = config.hypervisor.initrd;
  qemu.kernel_params = config.hypervisor.kernel_params;
  qemu.debug = config.hypervisor.enable_debug;
  qemu.console_log = dir + "/" + console_log_name;
  // QEMU binds and connects its unix sockets by path, and sun_path holds
  // only 108 bytes: a long --root or ID would not fit, so such names are
  // relative to the sandbox dir (QEMU's working directory).
  auto socket_path = [&](const char* socket_name) {
    std::string full = dir + "/" + socket_name;
    return full.size() < 100 ? full : std::string(socket_name);
  };
  qemu.qmp_socket = socket_path(qmp_socket_name);
  qemu.agent_socket = socket_path(agent_socket_name);
  qemu.virtiofs_socket = socket_path(virtiofsd_socket_name);

  auto& virtiofsd = plan.virtiofsd;
  virtiofsd.binary = config.hypervisor.virtio_fs_daemon;
  virtiofsd.shared_dir = dir + "/share";
  virtiofsd.cache = cache_name(config.hypervisor.virtio_fs_cache);
  virtiofsd.debug = config.hypervisor.enable_debug;
  virtiofsd.extra_args = config.hypervisor.virtio_fs_extra_args;
  // virtiofsd's default namespace sandbox needs unshare rights that
  // containerised hosts (CI, podman-in-podman) often lack; chroot works
  // everywhere. An explicit sandbox option in the configuration wins.
  bool sandbox_given = false;
  for (const auto& arg : virtiofsd.extra_args) sandbox_given |= arg.find("sandbox") != std::string::npos;
  if (!sandbox_given) virtiofsd.extra_args.insert(virtiofsd.extra_args.end(), {"-o", "sandbox=chroot"});
  return plan;
}

std::string file_tail(const std::string& path, std::size_t lines) {
  auto text = read_file(path, 16U << 20);
  if (!text) return "(" + text.error().message + ")\n";
  std::vector<std::string> all;
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // serial consoles end lines with CRLF
    all.push_back(line);
  }
  std::string tail;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) tail += all[i] + "\n";
  return tail;
}

}  // namespace kata::runtime
