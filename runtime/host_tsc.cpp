#include "runtime/host_tsc.hpp"

#include <cpuid.h>

#include <cmath>
#include <string>

#include "common/fs.hpp"

namespace kata::runtime {

namespace {

struct Cpuid {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};

Cpuid cpuid(unsigned leaf) {
  Cpuid out;
  __cpuid_count(leaf, 0, out.eax, out.ebx, out.ecx, out.edx);
  return out;
}

// A hypervisor (KVM, VMware, others) may publish the TSC's kHz in EAX of
// leaf 0x40000010, the "timing information" leaf.
std::optional<unsigned long> hypervisor_leaf_khz() {
  if ((cpuid(1).ecx & (1U << 31)) == 0) return std::nullopt;  // no hypervisor
  if (cpuid(0x40000000).eax < 0x40000010) return std::nullopt;
  unsigned khz = cpuid(0x40000010).eax;
  return khz != 0 ? std::optional<unsigned long>(khz) : std::nullopt;
}

// Intel's leaf 0x15: TSC = crystal (ECX Hz) * EBX / EAX, when all are given.
std::optional<unsigned long> tsc_leaf_khz() {
  if (cpuid(0).eax < 0x15) return std::nullopt;
  auto leaf = cpuid(0x15);
  if (leaf.eax == 0 || leaf.ebx == 0 || leaf.ecx == 0) return std::nullopt;
  return static_cast<unsigned long>(static_cast<unsigned long long>(leaf.ecx) * leaf.ebx / leaf.eax / 1000);
}

}  // namespace

std::optional<unsigned long> cpuinfo_khz(std::string_view cpuinfo) {
  auto at = cpuinfo.find("cpu MHz");
  if (at == std::string_view::npos) return std::nullopt;
  auto colon = cpuinfo.find(':', at);
  auto end = cpuinfo.find('\n', at);
  if (colon == std::string_view::npos || (end != std::string_view::npos && colon > end)) return std::nullopt;
  std::string value(cpuinfo.substr(colon + 1, end == std::string_view::npos ? std::string_view::npos : end - colon - 1));
  double mhz = 0;
  try {
    mhz = std::stod(value);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!(mhz > 0)) return std::nullopt;
  return static_cast<unsigned long>(std::lround(mhz * 1000));
}

std::optional<unsigned long> host_tsc_khz() {
  if (auto khz = hypervisor_leaf_khz()) return khz;
  if (auto khz = tsc_leaf_khz()) return khz;
  // The first processor's block comes first; 64 KiB holds it on any host.
  auto text = read_file("/proc/cpuinfo", 64 * 1024);
  return text ? cpuinfo_khz(*text) : std::nullopt;
}

}  // namespace kata::runtime
