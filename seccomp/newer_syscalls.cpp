#include "seccomp/newer_syscalls.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>

#include <cerrno>
#include <cstdlib>
#include <set>

namespace kata::seccomp {
namespace {

// Above every x86_64 syscall number (they stay below 512, where the x32
// range's compat numbers begin); libseccomp has no "highest known" query.
constexpr int kSyscallNumberLimit = 512;

}  // namespace

bool refuses_unknown_syscalls(std::uint32_t default_action) {
  switch (default_action & SECCOMP_RET_ACTION_FULL) {
    case SCMP_ACT_KILL_PROCESS:
    case SCMP_ACT_KILL_THREAD:
    case SCMP_ACT_TRAP:
      return true;
    case SCMP_ACT_ERRNO(0):
      return (default_action & SECCOMP_RET_DATA) != ENOSYS;
    default:
      return false;
  }
}

std::vector<std::string> syscalls_newer_than(const std::vector<std::string>& named) {
  std::set<int> numbers;
  for (const auto& name : named) {
    // Negative: libseccomp's pseudo-number for a syscall x86_64 lacks.
    int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, name.c_str());
    if (nr >= 0) numbers.insert(nr);
  }
  std::vector<std::string> newer;
  if (numbers.empty()) return newer;
  for (int nr = *numbers.rbegin() + 1; nr < kSyscallNumberLimit; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (name == nullptr) continue;  // a gap, or newer than this libseccomp
    newer.emplace_back(name);
    std::free(name);
  }
  return newer;
}

}  // namespace kata::seccomp
