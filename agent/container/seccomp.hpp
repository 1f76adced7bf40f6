#pragma once
// linux.seccomp compiled with libseccomp into a classic BPF program before
// fork; the child loads the finished program with one seccomp(2) call.

#include <linux/filter.h>

#include <vector>

#include "common/error.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// A compiled filter; empty `program` means no seccomp.
struct SeccompProgram {
  std::vector<sock_filter> program;
  unsigned int flags = 0;  ///< SECCOMP_FILTER_FLAG_* from linux.seccomp.flags
};

/// Compiles linux.seccomp: every SCMP_ACT_* (ERRNO and TRACE with errnoRet,
/// EPERM by default; NOTIFY refused as unsupported), every SCMP_CMP_*
/// operator, the listed architectures and flags. Unknown syscall names are
/// skipped (runc does the same, profiles list syscalls of newer kernels).
/// When the default action refuses, syscalls newer than every one the
/// profile names get ENOSYS, as under runc (see seccomp_newer.hpp).
Result<SeccompProgram> compile_seccomp(const oci::Seccomp& seccomp);

/// Child side: installs `program` (needs no_new_privs or CAP_SYS_ADMIN).
Result<void> load_seccomp(const SeccompProgram& program);

}  // namespace kata::agent
