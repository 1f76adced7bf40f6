#include "seccomp/program.hpp"

#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace kata::seccomp {

Result<void> load(const Program& program) {
  if (program.program.empty()) return ok();
  sock_fprog prog{static_cast<unsigned short>(program.program.size()),
                  const_cast<sock_filter*>(program.program.data())};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &prog) != 0) {
    return sys_error(errno, "load seccomp filter");
  }
  return ok();
}

}  // namespace kata::seccomp
