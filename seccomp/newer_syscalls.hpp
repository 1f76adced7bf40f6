#pragma once
// Which syscalls a seccomp profile cannot know about. A profile written
// before a syscall existed refuses it with its default action, and libc,
// which falls back to an older syscall only on ENOSYS (glibc's clone3 ->
// clone, faccessat2 -> faccessat, ...), then fails instead of falling back.
// runc answers such syscalls with ENOSYS; so does kata, with libseccomp
// rules instead of runc's patched BPF.

#include <cstdint>
#include <string>
#include <vector>

namespace kata::seccomp {

/// True when a profile's default action refuses syscalls (SCMP_ACT_ERRNO
/// with an errno other than ENOSYS, SCMP_ACT_KILL*, SCMP_ACT_TRAP): only
/// then do newer syscalls need the ENOSYS rule. ALLOW, LOG and TRACE let
/// them through already; a default of ERRNO(ENOSYS) is that rule itself.
bool refuses_unknown_syscalls(std::uint32_t default_action);

/// The syscalls of the native architecture (x86_64, the guest's) that libseccomp
/// knows and that are numbered above every syscall in `named` (the profile's
/// names; names unknown to this architecture are ignored), in ascending
/// order. Empty when no name in `named` resolves (nothing to be newer than).
std::vector<std::string> syscalls_newer_than(const std::vector<std::string>& named);

}  // namespace kata::seccomp
