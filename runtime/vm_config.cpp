#include "runtime/vm_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <charconv>
#include <regex>
#include <sstream>
#include <vector>

#include "common/fs.hpp"
#include "hypervisor/accel.hpp"
#include "runtime/host_tsc.hpp"

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

constexpr std::uint64_t mib = 1024 * 1024;
// QEMU's q35 accepts up to 288 vCPUs; the configuration's own bound is 255.
constexpr unsigned max_vcpus_bound = 255;

// Kata's rule: the annotation's key (after the prefix) must match one of
// enable_annotations. Kata's Go code uses an unanchored regexp search, so
// "memory" would also allow default_maxmemory; kata requires the whole key
// to match, which allows exactly what the operator wrote.
bool annotation_enabled(const HypervisorConfig& config, const std::string& key) {
  for (const auto& allowed : config.enable_annotations) {
    try {
      if (std::regex_match(key, std::regex(allowed))) return true;
    } catch (const std::regex_error&) {
      // configuration.cpp rejects such patterns; one built in code matches nothing.
    }
  }
  return false;
}

// A decimal count in [minimum, maximum]; nothing else (no sign, space or unit).
Result<unsigned> annotation_count(const std::string& name, const std::string& value, unsigned minimum,
                                  std::uint64_t maximum, const char* unit) {
  std::uint64_t number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  if (value.empty() || error != std::errc() || end != value.data() + value.size())
    return make_error(ErrorKind::invalid_argument, "annotation {}: \"{}\" is not a number of {}", name, value, unit);
  if (number < minimum || number > maximum)
    return make_error(ErrorKind::invalid_argument, "annotation {}: {} {} is out of range [{}, {}]", name, number, unit,
                      minimum, maximum);
  return static_cast<unsigned>(number);
}

}  // namespace

HostCapacity host_capacity() {
  HostCapacity host;
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus > 0) host.cpus = static_cast<unsigned>(cpus);
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) host.memory_mib = static_cast<std::uint64_t>(pages) * page_size / mib;
  return host;
}

Result<VmSize> vm_size_for(const HypervisorConfig& config, const oci::Spec& spec, const HostCapacity& host) {
  unsigned max_vcpus = std::min(config.default_maxvcpus != 0 ? config.default_maxvcpus : host.cpus, max_vcpus_bound);
  std::uint64_t max_memory = config.default_maxmemory != 0 ? config.default_maxmemory : host.memory_mib;
  VmSize size{config.default_vcpus, config.default_memory};

  if (spec.annotations) {
    std::string prefix = hypervisor_annotation_prefix;
    for (const auto& [name, value] : *spec.annotations) {
      if (name.rfind(prefix, 0) != 0) continue;
      std::string key = name.substr(prefix.size());
      if (!annotation_enabled(config, key))
        return make_error(ErrorKind::invalid_argument,
                          "annotation {} is not enabled: [hypervisor.qemu] enable_annotations does not allow \"{}\"",
                          name, key);
      if (key == "default_vcpus") {
        size.vcpus = KATA_TRY(annotation_count(name, value, 1, std::max(max_vcpus, config.default_vcpus), "vCPUs"));
      } else if (key == "default_memory") {
        size.memory_mib = KATA_TRY(annotation_count(name, value, min_memory_mib,
                                                    std::max<std::uint64_t>(max_memory, config.default_memory), "MiB"));
      } else {
        return make_error(ErrorKind::invalid_argument,
                          "annotation {}: kata implements only default_vcpus and default_memory annotations", name);
      }
    }
  }

  // The container's limits come on top of the VM the guest itself needs.
  const oci::Resources* resources =
      spec.linux_config && spec.linux_config->resources ? &*spec.linux_config->resources : nullptr;
  if (resources != nullptr && resources->memory && resources->memory->limit && *resources->memory->limit > 0) {
    auto limit = static_cast<std::uint64_t>(*resources->memory->limit);
    std::uint64_t wanted = size.memory_mib + (limit / mib + (limit % mib != 0 ? 1 : 0));
    std::uint64_t cap = std::max<std::uint64_t>(max_memory, size.memory_mib);
    size.memory_mib = static_cast<unsigned>(std::min(wanted, cap));
  }
  if (resources != nullptr && resources->cpu && resources->cpu->quota && *resources->cpu->quota > 0 &&
      resources->cpu->period && *resources->cpu->period > 0) {
    auto quota = static_cast<std::uint64_t>(*resources->cpu->quota);
    std::uint64_t period = *resources->cpu->period;
    std::uint64_t wanted = size.vcpus + (quota / period + (quota % period != 0 ? 1 : 0));
    std::uint64_t cap = std::max(max_vcpus, size.vcpus);
    size.vcpus = static_cast<unsigned>(std::min(wanted, cap));
  }
  return size;
}

Result<Configuration> configuration_sized_for(const Configuration& config, const oci::Spec& spec) {
  auto size = KATA_TRY(vm_size_for(config.hypervisor, spec, host_capacity()));
  Configuration sized = config;
  sized.hypervisor.default_vcpus = size.vcpus;
  sized.hypervisor.default_memory = size.memory_mib;
  return sized;
}

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
  // Room for pod members' memory (hot-added pc-dimms): up to
  // default_maxmemory, or the host's memory.
  qemu.memory_slots = config.hypervisor.memory_slots;
  std::uint64_t max_memory =
      config.hypervisor.default_maxmemory != 0 ? config.hypervisor.default_maxmemory : host_capacity().memory_mib;
  qemu.max_memory_mib = static_cast<unsigned>(std::min<std::uint64_t>(max_memory, std::numeric_limits<unsigned>::max()));
  qemu.kernel = config.hypervisor.kernel;
  qemu.initrd = config.hypervisor.initrd;
  qemu.kernel_params = config.hypervisor.kernel_params;
  qemu.firmware = config.hypervisor.firmware;
  if (qemu.machine == hypervisor::qemu::Machine::microvm && qemu.accel == hypervisor::qemu::Accel::tcg)
    qemu.tsc_khz = host_tsc_khz().value_or(0);
  qemu.tcg_tb_size_mib = config.hypervisor.tcg_tb_size;
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
