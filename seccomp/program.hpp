#pragma once
// A compiled seccomp filter and its loading into the calling process.

#include <linux/filter.h>

#include <vector>

#include "common/error.hpp"

namespace kata::seccomp {

/// A compiled filter; empty `program` means no seccomp.
struct Program {
  std::vector<sock_filter> program;
  unsigned int flags = 0;  ///< SECCOMP_FILTER_FLAG_* from linux.seccomp.flags
};

/// Installs `program` in the calling process (needs no_new_privs or
/// CAP_SYS_ADMIN); one seccomp(2) call, safe between fork and exec.
Result<void> load(const Program& program);

}  // namespace kata::seccomp
