#include "agent/container/child_launch.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>

#include "agent/container/child_report.hpp"

namespace kata::agent {

Result<pid_t> clone_child(int namespace_flags, int cgroup_fd) {
  // The raw syscalls: glibc's clone() wants a separate stack and a function;
  // with a null stack the kernel runs the child on a copy of ours, as fork.
  long pid;
  if (cgroup_fd < 0) {
    pid = ::syscall(SYS_clone, static_cast<unsigned long>(namespace_flags) | SIGCHLD, nullptr, nullptr, nullptr,
                    nullptr);
  } else {
    // clone3 places the child in the cgroup as it is born (checked against
    // the caller's rights, not the child's): a child whose user namespace
    // does not map the cgroup's owner could not move itself, and nothing it
    // runs before a later move could escape the limits.
    clone_args args{};
    args.flags = static_cast<std::uint64_t>(static_cast<unsigned>(namespace_flags)) | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
    pid = ::syscall(SYS_clone3, &args, sizeof args);
  }
  if (pid < 0) return sys_error(errno, "clone");
  return static_cast<pid_t>(pid);
}

Result<UniqueFd> open_cgroup_dir(const std::string& cgroup_dir) {
  if (cgroup_dir.empty()) return UniqueFd();
  UniqueFd fd(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_error(errno, "open cgroup {}", cgroup_dir);
  return fd;
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

std::string describe_exit(pid_t pid) {
  int status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid, &status, 0);
  } while (rc < 0 && errno == EINTR);
  if (rc != pid) return "its state is unknown";
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return "stopped";
}

void fail_child(int report_fd, const Error& error) {
  report_child_error(report_fd, error);
  ::_exit(1);
}

}  // namespace kata::agent
