#include "hypervisor/accel.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/unique_fd.hpp"

namespace kata::hypervisor {

Result<AccelSetting> parse_accel_setting(std::string_view text) {
  if (text == "auto") return AccelSetting::automatic;
  if (text == "kvm") return AccelSetting::kvm;
  if (text == "tcg") return AccelSetting::tcg;
  return make_error(ErrorKind::invalid_argument, "accel: expected \"auto\", \"kvm\" or \"tcg\", got \"{}\"", text);
}

namespace {

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

bool kvm_boots_stock_kernels(bool pvm_loaded, bool intel_loaded, bool amd_loaded) {
  return !pvm_loaded || intel_loaded || amd_loaded;
}

Result<AccelChoice> resolve_accel(AccelSetting setting, const std::string& kvm_device, const std::string& sys_module) {
  if (setting == AccelSetting::tcg) return AccelChoice{qemu::Accel::tcg, "accel = \"tcg\" in the configuration"};
  // Opening the device is what QEMU itself will do; a node that exists but
  // cannot be opened (permissions, no module behind it) is not usable.
  UniqueFd kvm(::open(kvm_device.c_str(), O_RDWR | O_CLOEXEC));
  std::string reason;
  if (!kvm) {
    reason = fmt::format("{} is not usable ({})", kvm_device, errno_message(errno));
  } else if (!kvm_boots_stock_kernels(exists(sys_module + "/kvm_pvm"), exists(sys_module + "/kvm_intel"),
                                      exists(sys_module + "/kvm_amd"))) {
    // Seen on cloud VMs without nested virtualisation: /dev/kvm opens and
    // KVM_CREATE_VM works, but QEMU aborts with -cpu host and a stock guest
    // kernel never boots under -cpu kvm64.
    reason = fmt::format("{} is provided by kvm_pvm, which boots only PVM guest kernels", kvm_device);
  } else {
    return AccelChoice{qemu::Accel::kvm, ""};
  }
  if (setting == AccelSetting::kvm) {
    return make_error(ErrorKind::unsupported, "accel = \"kvm\" but {}", reason);
  }
  return AccelChoice{qemu::Accel::tcg, reason + "; using TCG software emulation, much slower"};
}

}  // namespace kata::hypervisor
