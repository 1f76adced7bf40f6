#include "agent/container/child_launch.hpp"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/container/child_report.hpp"

namespace kata::agent {

Result<pid_t> clone_child(int namespace_flags) {
  // The raw syscall: glibc's clone() wants a separate stack and a function;
  // with a null stack the kernel runs the child on a copy of ours, as fork.
  long pid = ::syscall(SYS_clone, static_cast<unsigned long>(namespace_flags) | SIGCHLD, nullptr, nullptr,
                       nullptr, nullptr);
  if (pid < 0) return sys_error(errno, "clone");
  return static_cast<pid_t>(pid);
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
