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

/// Resolves the setting against the host: KVM when `kvm_device` (normally
/// /dev/kvm) opens read-write, otherwise TCG under "auto" (with the reason),
/// and an error naming the device and errno when "kvm" was demanded.
Result<AccelChoice> resolve_accel(AccelSetting setting, const std::string& kvm_device = "/dev/kvm");

}  // namespace kata::hypervisor
