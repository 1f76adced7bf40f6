#include "runtime/check/guest_kernel.hpp"

#include <map>

namespace kata::runtime {

namespace {

// One option kata's guest uses; `module` names its .ko when it may be built
// as one (empty: it must be built in).
struct Need {
  const char* option;
  const char* module;
};

// Without these the VM does not boot to a working agent and container.
constexpr Need required[] = {
    {"CONFIG_BLK_DEV_INITRD", ""},  {"CONFIG_DEVTMPFS", ""},          {"CONFIG_PROC_FS", ""},
    {"CONFIG_SYSFS", ""},           {"CONFIG_TMPFS", ""},             {"CONFIG_UNIX98_PTYS", ""},
    {"CONFIG_UNIX", ""},            {"CONFIG_INET", ""},              {"CONFIG_NAMESPACES", ""},
    {"CONFIG_UTS_NS", ""},          {"CONFIG_IPC_NS", ""},            {"CONFIG_PID_NS", ""},
    {"CONFIG_NET_NS", ""},          {"CONFIG_SECCOMP_FILTER", ""},    {"CONFIG_CGROUPS", ""},
    {"CONFIG_VIRTIO_CONSOLE", "virtio_console.ko"},                   {"CONFIG_FUSE_FS", "fuse.ko"},
    {"CONFIG_VIRTIO_FS", "virtiofs.ko"},
};
constexpr Need pci_transport = {"CONFIG_VIRTIO_PCI", "virtio_pci.ko"};
constexpr Need mmio_transport = {"CONFIG_VIRTIO_MMIO", "virtio_mmio.ko"};

// Without these some containers lose a feature: limits, --uidmap, the network, power-off.
constexpr Need wanted[] = {
    {"CONFIG_MEMCG", ""},        {"CONFIG_CGROUP_PIDS", ""}, {"CONFIG_CGROUP_SCHED", ""},
    {"CONFIG_CFS_BANDWIDTH", ""}, {"CONFIG_CPUSETS", ""},    {"CONFIG_USER_NS", ""},
    {"CONFIG_ACPI", ""},          {"CONFIG_VIRTIO_NET", "virtio_net.ko"},
};

// name → value of each "CONFIG_X=value" line; "is not set" lines and
// comments are absent, which is what "not set" means.
std::map<std::string, std::string, std::less<>> parse_config(std::string_view text) {
  std::map<std::string, std::string, std::less<>> values;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    auto equals = line.find('=');
    if (!line.starts_with("CONFIG_") || equals == std::string_view::npos) continue;
    values.emplace(line.substr(0, equals), line.substr(equals + 1));
  }
  return values;
}

// "6.1.192" from "# Linux/x86 6.1.192 Kernel Configuration".
std::string header_version(std::string_view text) {
  constexpr std::string_view marker = "# Linux/";
  auto start = text.find(marker);
  if (start == std::string_view::npos) return "";
  auto space = text.find(' ', start + marker.size());
  if (space == std::string_view::npos) return "";
  auto end = text.find(' ', space + 1);
  if (end == std::string_view::npos) return "";
  return std::string(text.substr(space + 1, end - space - 1));
}

std::string unquote(std::string_view value) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  return std::string(value);
}

}  // namespace

GuestKernelFacts inspect_guest_kernel(std::string_view config, std::string_view machine_type, std::string_view initrd,
                                      std::string_view image) {
  auto values = parse_config(config);
  auto value = [&](std::string_view option) -> std::string_view {
    auto it = values.find(option);
    return it == values.end() ? std::string_view{} : std::string_view(it->second);
  };
  GuestKernelFacts facts;
  std::string local = unquote(value("CONFIG_LOCALVERSION"));
  facts.release = header_version(config) + local;
  facts.kata_kernel = local == "-kata";
  facts.modular = value("CONFIG_MODULES") == "y";
  facts.elf_image = image.starts_with("\x7f" "ELF");
  auto present = [&](const Need& need) {
    auto v = value(need.option);
    if (v == "y") return true;
    // A module counts only if the kernel loads modules and the image holds it.
    return v == "m" && facts.modular && *need.module != '\0' && initrd.find(need.module) != std::string_view::npos;
  };
  for (const Need& need : required) {
    if (!present(need)) facts.missing.emplace_back(need.option);
  }
  const Need& transport = machine_type == "microvm" ? mmio_transport : pci_transport;
  if (!present(transport)) facts.missing.emplace_back(transport.option);
  // QEMU refuses an ELF kernel without the PVH note ("Error loading
  // uncompressed kernel without PVH ELF Note").
  if (facts.elf_image && value("CONFIG_PVH") != "y") facts.missing.emplace_back("CONFIG_PVH");
  for (const Need& need : wanted) {
    if (!present(need)) facts.lacking.emplace_back(need.option);
  }
  return facts;
}

seccomp::GuestAbis guest_abis_of(std::string_view config) {
  auto values = parse_config(config);
  auto built_in = [&](std::string_view option) {
    auto it = values.find(option);
    return it != values.end() && it->second == "y";
  };
  return {built_in("CONFIG_IA32_EMULATION"), built_in("CONFIG_X86_X32_ABI")};
}

std::string guest_kernel_config_path(const std::string& kernel) { return kernel + ".config"; }

}  // namespace kata::runtime
