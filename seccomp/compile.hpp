#pragma once
// linux.seccomp compiled with libseccomp into a classic BPF program.

#include "common/error.hpp"
#include "oci/spec.hpp"
#include "seccomp/program.hpp"

namespace kata::seccomp {

/// Compiles linux.seccomp for the native architecture (kata's guests are
/// the host's): every SCMP_ACT_* (ERRNO and TRACE with errnoRet, EPERM by
/// default; NOTIFY refused as unsupported), every SCMP_CMP_* operator, the
/// listed architectures and flags. Unknown syscall names are skipped (runc
/// does the same, profiles list syscalls of newer kernels). When the default
/// action refuses, syscalls newer than every one the profile names get
/// ENOSYS, as under runc (see newer_syscalls.hpp).
Result<Program> compile(const oci::Seccomp& seccomp);

/// The SECCOMP_FILTER_FLAG_* bits of linux.seccomp.flags; an unknown name
/// is an error naming it.
Result<unsigned int> filter_flags(const oci::Seccomp& seccomp);

}  // namespace kata::seccomp
