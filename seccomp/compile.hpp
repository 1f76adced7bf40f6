#pragma once
// linux.seccomp compiled with libseccomp into a classic BPF program.

#include "common/error.hpp"
#include "oci/spec.hpp"
#include "seccomp/program.hpp"

namespace kata::seccomp {

/// The compat syscall ABIs the guest kernel serves beside x86_64's own
/// (CONFIG_IA32_EMULATION, CONFIG_X86_X32_ABI). Unknown: both, the safe
/// assumption; kata's own kernel serves neither.
struct GuestAbis {
  bool ia32 = true;  ///< i386 syscalls (int 0x80, 32-bit binaries)
  bool x32 = true;   ///< x32 syscalls (numbers with bit 30 set)
};

/// Compiles linux.seccomp for the native architecture (kata's guests are
/// the host's): every SCMP_ACT_* (ERRNO and TRACE with errnoRet, EPERM by
/// default; NOTIFY refused as unsupported), every SCMP_CMP_* operator, the
/// listed architectures and flags. Unknown syscall names are skipped (runc
/// does the same, profiles list syscalls of newer kernels). When the default
/// action refuses, syscalls newer than every one the profile names get
/// ENOSYS, as under runc (see newer_syscalls.hpp). A listed architecture
/// whose ABI `abis` says the guest lacks is left out (SCMP_ARCH_X86 without
/// ia32, SCMP_ARCH_X32 without x32): a third of the program each, read and
/// loaded by every container under emulation. Its syscalls then get ENOSYS,
/// as that kernel answers them without a filter (libseccomp's action for a
/// foreign architecture, set to ERRNO(ENOSYS) instead of a kill).
Result<Program> compile(const oci::Seccomp& seccomp, const GuestAbis& abis = {});

/// The SECCOMP_FILTER_FLAG_* bits of linux.seccomp.flags; an unknown name
/// is an error naming it.
Result<unsigned int> filter_flags(const oci::Seccomp& seccomp);

}  // namespace kata::seccomp
