#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"
#include "hypervisor/qemu/qemu_config.hpp"

namespace kata::hypervisor {

/// What the configuration asks for (`accel = "auto" | "kvm" | "tcg"`).
enum class AccelSetting { automatic, kvm, tcg };

/// Parses "auto", "kvm" or "tcg"; invalid_argument otherwise.
Result<AccelSetting> parse_accel_setting(std::string_view text);

/// The accelerator chosen for a VM, and why (for the one-line TCG warning).
struct AccelChoice {
  qemu::Accel accel = qemu::Accel::tcg;
  std::string reason;  ///< empty for KVM; for TCG under "auto", why KVM was not used
};

/// Whether /dev/kvm, given which KVM modules are loaded, boots an ordinary
/// guest kernel: not when kvm_pvm provides it without kvm_intel or kvm_amd
/// (PVM runs only guest kernels built for it). The one place of this rule,
/// shared by resolve_accel and `kata check`.
bool kvm_boots_stock_kernels(bool pvm_loaded, bool intel_loaded, bool amd_loaded);

/// Resolves the setting against the host: KVM when `kvm_device` (normally
/// /dev/kvm) opens read-write and is backed by hardware virtualisation,
/// otherwise TCG under "auto" (with the reason), and an error naming the
/// cause when "kvm" was demanded. `sys_module` is where loaded modules are
/// listed (/sys/module), to tell hardware KVM (kvm_intel, kvm_amd) from PVM
/// (kvm_pvm), which boots only guest kernels built for it.
Result<AccelChoice> resolve_accel(AccelSetting setting, const std::string& kvm_device = "/dev/kvm",
                                  const std::string& sys_module = "/sys/module");

}  // namespace kata::hypervisor
