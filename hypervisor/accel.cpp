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

Result<AccelChoice> resolve_accel(AccelSetting setting, const std::string& kvm_device) {
  if (setting == AccelSetting::tcg) return AccelChoice{qemu::Accel::tcg, "accel = \"tcg\" in the configuration"};
  // Opening the device is what QEMU itself will do; a node that exists but
  // cannot be opened (permissions, no module behind it) is not usable.
  UniqueFd kvm(::open(kvm_device.c_str(), O_RDWR | O_CLOEXEC));
  if (kvm) return AccelChoice{qemu::Accel::kvm, ""};
  int open_errno = errno;
  if (setting == AccelSetting::kvm) {
    return sys_error(open_errno, "accel = \"kvm\" but {} is not usable", kvm_device);
  }
  return AccelChoice{qemu::Accel::tcg,
                     fmt::format("{} is not usable ({}); using TCG software emulation, much slower", kvm_device,
                                 errno_message(open_errno))};
}

}  // namespace kata::hypervisor
