#include "runtime/check/host_checks.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "hypervisor/accel.hpp"
#include "runtime/check/guest_kernel.hpp"

namespace kata::runtime {

namespace {

// Collects results; each check adds one line.
class Checks {
 public:
  void pass(std::string id, std::string fact) { add(std::move(id), CheckStatus::pass, std::move(fact), ""); }
  void warn(std::string id, std::string fact, std::string fix) {
    add(std::move(id), CheckStatus::warn, std::move(fact), std::move(fix));
  }
  void fail(std::string id, std::string fact, std::string fix) {
    add(std::move(id), CheckStatus::fail, std::move(fact), std::move(fix));
  }
  std::vector<CheckResult> take() { return std::move(results_); }

 private:
  void add(std::string id, CheckStatus status, std::string fact, std::string fix) {
    results_.push_back({std::move(id), status, std::move(fact), std::move(fix)});
  }
  std::vector<CheckResult> results_;
};

// The first processor block of /proc/cpuinfo as key → value.
struct CpuInfo {
  std::string vendor;
  std::string model;
  std::vector<std::string> flags;
  bool has(std::string_view flag) const { return std::find(flags.begin(), flags.end(), flag) != flags.end(); }
};

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t");
  auto end = text.find_last_not_of(" \t\r");
  return begin == std::string_view::npos ? "" : std::string(text.substr(begin, end - begin + 1));
}

CpuInfo parse_cpuinfo(const std::string& text) {
  CpuInfo info;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (trim(line).empty()) break;  // end of the first processor block
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = trim(std::string_view(line).substr(0, colon));
    std::string value = trim(std::string_view(line).substr(colon + 1));
    if (key == "vendor_id") info.vendor = value;
    if (key == "model name") info.model = value;
    if (key == "flags") {
      std::istringstream words(value);
      for (std::string flag; words >> flag;) info.flags.push_back(flag);
    }
  }
  return info;
}

// /proc/meminfo "MemAvailable:  123456 kB" → MiB.
std::optional<unsigned long> mem_available_mib(const std::string& meminfo) {
  std::istringstream lines(meminfo);
  std::string key;
  unsigned long kib = 0;
  std::string unit;
  while (lines >> key >> kib) {
    std::getline(lines, unit);
    if (key == "MemAvailable:") return kib / 1024;
  }
  return std::nullopt;
}

std::string first_line(const std::string& text) { return trim(text.substr(0, text.find('\n'))); }

std::string module_parameter(const HostProbe& probe, const std::string& module, const std::string& parameter) {
  auto value = probe.read_file(fmt::format("/sys/module/{}/parameters/{}", module, parameter));
  return value ? trim(*value) : "";
}

// Whether `listing` (QEMU's "-machine help" / "-accel help") names `name` as a word at a line start.
bool listing_names(const std::string& listing, const std::string& name) {
  std::istringstream lines(listing);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string first;
    if (words >> first && first == name) return true;
  }
  return false;
}

struct KvmOutcome {
  bool usable = false;
};

KvmOutcome check_cpu_and_kvm(const CheckInputs& inputs, const HostProbe& probe, Checks& checks) {
  auto cpuinfo_text = probe.read_file("/proc/cpuinfo");
  CpuInfo cpu = parse_cpuinfo(cpuinfo_text.value_or(""));
  bool intel = cpu.vendor == "GenuineIntel";
  bool amd = cpu.vendor == "AuthenticAMD";
  if (!cpuinfo_text) {
    checks.warn("cpu.vendor", "/proc/cpuinfo is not readable", "mount procfs at /proc");
  } else if (intel || amd) {
    checks.pass("cpu.vendor", fmt::format("{} ({})", cpu.vendor, cpu.model));
  } else {
    checks.warn("cpu.vendor", fmt::format("unrecognised CPU vendor \"{}\"", cpu.vendor),
                "kata is tested on Intel and AMD x86_64 CPUs");
  }

  const char* virt_flag = amd ? "svm" : "vmx";
  bool has_virt = cpu.has("vmx") || cpu.has("svm");
  bool nested = cpu.has("hypervisor");
  if (has_virt) {
    checks.pass("cpu.virtualization", fmt::format("hardware virtualisation flag {} present", cpu.has("svm") ? "svm" : "vmx"));
  } else {
    checks.warn("cpu.virtualization", fmt::format("no {} flag: the CPU offers no hardware virtualisation to this host", virt_flag),
                nested ? "enable nested virtualisation on the outer hypervisor, or use TCG (slower)"
                       : "enable VT-x/AMD-V in the firmware settings, or use TCG (slower)");
  }
  for (const char* flag : {"lm", "sse4_1"}) {
    if (cpu.has(flag)) {
      checks.pass(fmt::format("cpu.{}", flag), fmt::format("CPU flag {} present", flag));
    } else {
      checks.warn(fmt::format("cpu.{}", flag), fmt::format("CPU flag {} missing", flag),
                  "KVM guests need it; TCG (-cpu max) emulates it");
    }
  }
  if (nested) {
    checks.pass("cpu.nested", "kata itself runs inside a VM (hypervisor flag): KVM needs nested virtualisation on the outer host");
  } else {
    checks.pass("cpu.nested", "kata runs on bare metal (no hypervisor flag)");
  }

  // Modules, read from /sys/module only: checking never loads one.
  std::string vendor_module = amd ? "kvm_amd" : "kvm_intel";
  bool kvm_loaded = probe.exists("/sys/module/kvm");
  bool vendor_loaded = probe.exists("/sys/module/" + vendor_module);
  bool pvm_loaded = probe.exists("/sys/module/kvm_pvm");
  if (kvm_loaded && vendor_loaded) {
    std::string nested_param = module_parameter(probe, vendor_module, "nested");
    std::string fact = fmt::format("modules kvm and {} loaded (nested={})", vendor_module,
                                   nested_param.empty() ? "unknown" : nested_param);
    if (intel) {
      std::string unrestricted = module_parameter(probe, vendor_module, "unrestricted_guest");
      fact += fmt::format(", unrestricted_guest={}", unrestricted.empty() ? "unknown" : unrestricted);
      if (unrestricted == "N" && !nested) {
        checks.warn("kvm.modules", fact, "reload kvm_intel with unrestricted_guest=1");
      } else {
        checks.pass("kvm.modules", fact);
      }
    } else {
      checks.pass("kvm.modules", fact);
    }
  } else if (kvm_loaded && pvm_loaded) {
    checks.warn("kvm.modules",
                "modules kvm and kvm_pvm loaded: /dev/kvm is PVM (pagetable-based VMs), which boots only guest "
                "kernels built for PVM; kata uses TCG software emulation",
                "enable nested virtualisation on the outer host so that kvm_intel or kvm_amd can load");
  } else {
    checks.warn("kvm.modules",
                fmt::format("module {} not loaded", kvm_loaded ? vendor_module : std::string("kvm")),
                fmt::format("modprobe {} (kata check never loads modules itself)", vendor_module));
  }

  bool root = probe.euid() == 0;
  KvmProbe kvm = probe.probe_kvm("/dev/kvm", root);
  bool kvm_required = inputs.accel == "kvm";
  auto kvm_problem = [&](std::string id, std::string fact, std::string fix) {
    if (kvm_required) {
      checks.fail(std::move(id), std::move(fact), std::move(fix));
    } else {
      checks.warn(std::move(id), std::move(fact) + "; kata will use TCG software emulation", std::move(fix));
    }
  };
  KvmOutcome outcome;
  if (!kvm.present) {
    kvm_problem("kvm.device", "/dev/kvm does not exist", fmt::format("load {} (modprobe {})", vendor_module, vendor_module));
    return outcome;
  }
  if (kvm.open_errno != 0) {
    kvm_problem("kvm.device", fmt::format("/dev/kvm cannot be opened read-write: {}", errno_message(kvm.open_errno)),
                "run kata as root or add the user to the kvm group");
    return outcome;
  }
  checks.pass("kvm.device", "/dev/kvm opens read-write");
  if (kvm.api_version != 12) {
    kvm_problem("kvm.api_version", fmt::format("KVM API version {} (expected 12)", kvm.api_version),
                "use a host kernel with the stable KVM API");
    return outcome;
  }
  checks.pass("kvm.api_version", "KVM API version 12");
  if (kvm.create_vm_tried) {
    if (kvm.create_vm_errno != 0) {
      kvm_problem("kvm.create_vm",
                  fmt::format("KVM_CREATE_VM failed: {}{}", errno_message(kvm.create_vm_errno),
                              kvm.create_vm_errno == EBUSY ? " (another hypervisor holds VT-x/AMD-V)" : ""),
                  "stop the other hypervisor, or enable nested virtualisation");
      return outcome;
    }
    checks.pass("kvm.create_vm", "KVM_CREATE_VM succeeds");
  }
  outcome.usable = hypervisor::kvm_boots_stock_kernels(pvm_loaded, probe.exists("/sys/module/kvm_intel"),
                                                       probe.exists("/sys/module/kvm_amd"));
  return outcome;
}

void check_devices(const HostProbe& probe, Checks& checks) {
  struct Device {
    const char* path;
    const char* use;
    const char* module;
  };
  for (const Device& device : {Device{"/dev/vhost-net", "vhost-net accelerates VM networking", "vhost_net"},
                               Device{"/dev/vhost-vsock", "vsock is a faster agent channel than virtio-serial", "vhost_vsock"},
                               Device{"/dev/net/tun", "tap devices carry container networking into the VM", "tun"}}) {
    std::string id = fmt::format("device.{}", std::string_view(device.path).substr(5));
    if (probe.exists(device.path)) {
      checks.pass(id, fmt::format("{} present", device.path));
    } else {
      checks.warn(id, fmt::format("{} missing ({})", device.path, device.use), fmt::format("modprobe {}", device.module));
    }
  }
}

bool check_hypervisor(const CheckInputs& inputs, bool kvm_usable, const HostProbe& probe, Checks& checks) {
  bool ok = true;
  if (!probe.accessible(inputs.hypervisor_path, X_OK)) {
    checks.fail("hypervisor.binary", fmt::format("{} is missing or not executable", inputs.hypervisor_path),
                "apt-get install qemu-system-x86, or set [hypervisor.qemu] path");
    return false;
  }
  auto version = probe.run({inputs.hypervisor_path, "--version"});
  if (!version || version->exit_code != 0) {
    checks.fail("hypervisor.binary", fmt::format("{} --version failed", inputs.hypervisor_path),
                "reinstall qemu-system-x86");
    return false;
  }
  checks.pass("hypervisor.binary", first_line(version->output));

  auto machines = probe.run({inputs.hypervisor_path, "-machine", "help"});
  if (machines && listing_names(machines->output, inputs.machine_type)) {
    checks.pass("hypervisor.machine", fmt::format("machine type {} supported", inputs.machine_type));
  } else {
    checks.fail("hypervisor.machine", fmt::format("{} does not support machine type {}", inputs.hypervisor_path, inputs.machine_type),
                "set [hypervisor.qemu] machine_type to q35");
    ok = false;
  }

  auto accels = probe.run({inputs.hypervisor_path, "-accel", "help"});
  std::string wanted = inputs.accel == "tcg" || (inputs.accel == "auto" && !kvm_usable) ? "tcg" : "kvm";
  if (accels && listing_names(accels->output, wanted)) {
    checks.pass("hypervisor.accel", fmt::format("accelerator {} supported", wanted));
  } else {
    checks.fail("hypervisor.accel", fmt::format("{} does not offer accelerator {}", inputs.hypervisor_path, wanted),
                "install Debian's qemu-system-x86");
    ok = false;
  }
  return ok;
}

// Which kernel the configuration boots and whether it carries what kata's
// guest needs, from the .config installed beside it. No .config: a warning,
// since nothing can be said (the boot may still work).
bool check_guest_kernel_config(const CheckInputs& inputs, const HostProbe& probe, std::string_view initrd,
                               Checks& checks) {
  std::string path = guest_kernel_config_path(inputs.kernel_path);
  auto config = probe.read_file(path);
  if (!config) {
    checks.warn("guest.kernel.config", fmt::format("no {}: cannot tell what the kernel carries", path),
                "install the kernel's .config as " + path + " (kata's guest image does)");
    return true;
  }
  // The image tells its format (ELF or bzImage); an unreadable one was
  // reported by guest.kernel already.
  auto image = probe.read_file(inputs.kernel_path);
  auto facts = inspect_guest_kernel(*config, inputs.machine_type, initrd, image ? *image : "");
  std::string kind = facts.kata_kernel ? "kata's own kernel" : "another kernel";
  std::string drivers = facts.modular ? "modules loaded from the initramfs" : "drivers built in, no modules";
  std::string format = facts.elf_image ? "ELF booted through PVH" : "bzImage";
  std::string which = fmt::format("{} {} ({}; {})", kind, facts.release, drivers, format);
  if (!facts.missing.empty()) {
    checks.fail("guest.kernel.config", fmt::format("{} lacks {}", which, fmt::join(facts.missing, ", ")),
                "build it with those options (=y, or =m with the module in the initramfs), or use kata's kernel");
    return false;
  }
  if (!facts.lacking.empty()) {
    checks.warn("guest.kernel.config",
                fmt::format("{} lacks {}: limits, user namespaces, network or power-off may not work", which,
                            fmt::join(facts.lacking, ", ")),
                "build it with those options, or use kata's kernel");
    return true;
  }
  checks.pass("guest.kernel.config", which + ": carries what kata needs");
  return true;
}

bool check_guest(const CheckInputs& inputs, const HostProbe& probe, Checks& checks) {
  bool ok = true;
  auto virtiofsd = probe.accessible(inputs.virtiofsd_path, X_OK) ? probe.run({inputs.virtiofsd_path, "--version"})
                                                                  : Result<CommandOutput>(make_error(ErrorKind::not_found, ""));
  if (virtiofsd && virtiofsd->exit_code == 0) {
    checks.pass("virtiofsd", first_line(virtiofsd->output));
  } else {
    checks.fail("virtiofsd", fmt::format("{} is missing or does not run", inputs.virtiofsd_path),
                "apt-get install qemu-system-common, or set [hypervisor.qemu] virtio_fs_daemon");
    ok = false;
  }
  if (probe.accessible(inputs.kernel_path, R_OK)) {
    checks.pass("guest.kernel", fmt::format("{} readable", inputs.kernel_path));
  } else {
    checks.fail("guest.kernel", fmt::format("{} is missing or unreadable", inputs.kernel_path),
                "install kata's guest image (cmake --install), or set [hypervisor.qemu] kernel");
    ok = false;
  }
  auto initrd = probe.read_file(inputs.initrd_path);
  if (!initrd) {
    checks.fail("guest.initrd", fmt::format("{} is missing or unreadable", inputs.initrd_path),
                "install kata's guest image (cmake --install), or set [hypervisor.qemu] initrd");
    return false;
  }
  checks.pass("guest.initrd", fmt::format("{} readable ({} KiB)", inputs.initrd_path, initrd->size() / 1024));
  if (!check_guest_kernel_config(inputs, probe, *initrd, checks)) ok = false;
  if (inputs.agent_protocol_marker.empty()) return ok;
  // The agent embeds its protocol version as a plain string; the initramfs
  // is an uncompressed cpio, so the bytes can be searched directly.
  if (initrd->find(inputs.agent_protocol_marker) != std::string::npos) {
    checks.pass("guest.agent", fmt::format("agent speaks this kata's protocol ({})", inputs.agent_protocol_marker));
  } else {
    checks.fail("guest.agent", "the initramfs holds no agent speaking this kata's protocol",
                "install the guest image built with this kata binary");
    ok = false;
  }
  return ok;
}

bool check_host_kernel(const CheckInputs& inputs, const HostProbe& probe, Checks& checks) {
  bool ok = true;
  std::vector<std::string> missing;
  for (const char* ns : {"mnt", "uts", "ipc", "pid", "net", "user", "cgroup"}) {
    if (!probe.exists(fmt::format("/proc/self/ns/{}", ns))) missing.push_back(ns);
  }
  if (missing.empty()) {
    checks.pass("kernel.namespaces", "mnt, uts, ipc, pid, net, user and cgroup namespaces available");
  } else {
    checks.fail("kernel.namespaces", fmt::format("namespaces missing: {}", fmt::join(missing, ", ")),
                "use a kernel built with CONFIG_NAMESPACES and each namespace type");
    ok = false;
  }
  auto status = probe.read_file("/proc/self/status");
  if (status && status->find("Seccomp:") != std::string::npos) {
    checks.pass("kernel.seccomp", "seccomp available (sandboxes QEMU)");
  } else {
    checks.warn("kernel.seccomp", "seccomp not available: QEMU's -sandbox cannot be applied",
                "use a kernel built with CONFIG_SECCOMP_FILTER");
  }
  if (probe.exists("/sys/fs/cgroup/cgroup.controllers")) {
    checks.pass("kernel.cgroup", "cgroup v2 (unified)");
  } else if (probe.exists("/sys/fs/cgroup/unified")) {
    checks.pass("kernel.cgroup", "cgroup v1 (hybrid, with a v2 hierarchy at /sys/fs/cgroup/unified)");
  } else {
    checks.pass("kernel.cgroup", "cgroup v1 (legacy)");
  }
  auto meminfo = probe.read_file("/proc/meminfo");
  auto available = meminfo ? mem_available_mib(*meminfo) : std::nullopt;
  if (!available) {
    checks.warn("memory", "MemAvailable not found in /proc/meminfo", "mount procfs at /proc");
  } else if (*available < inputs.default_memory_mib) {
    checks.fail("memory", fmt::format("{} MiB available, a VM needs default_memory = {} MiB", *available, inputs.default_memory_mib),
                "free memory or lower [hypervisor.qemu] default_memory");
    ok = false;
  } else {
    checks.pass("memory", fmt::format("{} MiB available, a VM needs {} MiB", *available, inputs.default_memory_mib));
  }
  return ok;
}

bool check_runtime(const CheckInputs& inputs, const HostProbe& probe, Checks& checks) {
  bool ok = true;
  if (inputs.config_error.empty()) {
    checks.pass("config", fmt::format("configuration: {}", inputs.config_source));
  } else {
    checks.fail("config", inputs.config_error, "fix the configuration file or point --config at a valid one");
    ok = false;
  }
  // The state root may not exist yet (kata creates it); then its nearest
  // existing ancestor must be writable.
  std::string dir = inputs.state_root;
  while (!dir.empty() && !probe.exists(dir)) {
    auto slash = dir.rfind('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
    if (dir == "/") break;
  }
  if (probe.accessible(dir, W_OK | X_OK)) {
    checks.pass("state_root", fmt::format("state root {} is writable", inputs.state_root));
  } else {
    checks.fail("state_root", fmt::format("state root {} is not writable ({} is not)", inputs.state_root, dir),
                "run as root, or pass --root with a writable directory");
    ok = false;
  }
  return ok;
}

}  // namespace

CheckReport run_host_checks(const CheckInputs& inputs, const HostProbe& probe) {
  Checks checks;
  KvmOutcome kvm = check_cpu_and_kvm(inputs, probe, checks);
  check_devices(probe, checks);
  bool hypervisor_ok = check_hypervisor(inputs, kvm.usable, probe, checks);
  bool guest_ok = check_guest(inputs, probe, checks);
  bool kernel_ok = check_host_kernel(inputs, probe, checks);
  bool runtime_ok = check_runtime(inputs, probe, checks);

  CheckReport report;
  report.checks = checks.take();
  report.config_source = inputs.config_source;
  bool kvm_blocks = inputs.accel == "kvm" && !kvm.usable;
  report.verdict.uses_kvm = kvm.usable && inputs.accel != "tcg";
  // Capable: the host itself can run kata VMs (KVM or TCG) — hypervisor and
  // host kernel are fine. Can create: additionally the guest image and
  // kata's own setup are in place, so a `create` would succeed now.
  report.verdict.capable = hypervisor_ok && kernel_ok && !kvm_blocks;
  report.verdict.checked_create = probe.euid() == 0;
  report.verdict.can_create = report.verdict.capable && guest_ok && runtime_ok;
  return report;
}

}  // namespace kata::runtime
