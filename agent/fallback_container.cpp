// FALLBACK used only while agent/container/ (the real container library) is
// absent: no namespaces, mounts, users, capabilities or seccomp. It exists so
// the protocol server can be tested end to end; CMake leaves this file out as
// soon as kata_agent_container exists.

#include "agent/container_api.hpp"

#if !KATA_HAVE_CONTAINER_LIB

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace kata::agent {

namespace {

// Runs in the forked child: reports failure as "<step>\0<errno>" on
// `report_fd` (close-on-exec, so a successful exec reports nothing).
[[noreturn]] void child_fail(int report_fd, const char* step) {
  int error = errno;
  std::string message = std::string(step) + ":" + std::to_string(error);
  (void)!::write(report_fd, message.data(), message.size());
  ::_exit(127);
}

[[noreturn]] void child_exec(const std::string& root, const oci::Process& process, const ProcessStdio& stdio,
                             bool terminal, int barrier_fd, int report_fd) {
  if (terminal) {
    if (::setsid() < 0) child_fail(report_fd, "setsid");
    if (::ioctl(stdio.stdin_fd, TIOCSCTTY, 0) < 0) child_fail(report_fd, "set controlling tty");
  }
  // dup2 clears close-on-exec on 0, 1 and 2.
  if (::dup2(stdio.stdin_fd, 0) < 0 || ::dup2(stdio.stdout_fd, 1) < 0 || ::dup2(stdio.stderr_fd, 2) < 0) {
    child_fail(report_fd, "dup2 stdio");
  }
  if (!root.empty() && root != "/") {
    if (::chroot(root.c_str()) < 0) child_fail(report_fd, "chroot");
  }
  if (::chdir(process.cwd.empty() ? "/" : process.cwd.c_str()) < 0) child_fail(report_fd, "chdir");
  if (barrier_fd >= 0) {
    char byte;
    if (::read(barrier_fd, &byte, 1) != 1) child_fail(report_fd, "start barrier");
  }
  std::vector<std::string> args = process.args.value_or(std::vector<std::string>{});
  std::vector<std::string> env = process.env.value_or(std::vector<std::string>{});
  std::vector<char*> argv;
  std::vector<char*> envp;
  for (auto& arg : args) argv.push_back(arg.data());
  for (auto& entry : env) envp.push_back(entry.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  if (argv.size() == 1) {
    errno = EINVAL;
    child_fail(report_fd, "exec");
  }
  // PID 1 blocked these for its signalfd; the child must not inherit that.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (argv[0][0] == '/') {
    ::execve(argv[0], argv.data(), envp.data());
  } else {
    // PATH lookup with the process's PATH; execvpe uses the caller's environ.
    environ = envp.data();
    ::execvp(argv[0], argv.data());
  }
  child_fail(report_fd, "exec");
}

Result<pid_t> spawn(const std::string& root, const oci::Process& process, const ProcessStdio& stdio,
                    bool terminal, int barrier_fd, bool wait_for_exec) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd report_read(report[0]);
  UniqueFd report_write(report[1]);
  pid_t pid = ::fork();
  if (pid < 0) return sys_error(errno, "fork");
  if (pid == 0) child_exec(root, process, stdio, terminal, barrier_fd, report_write.get());
  report_write.reset();
  if (!wait_for_exec) return pid;
  char buffer[128];
  ssize_t got;
  do {
    got = ::read(report_read.get(), buffer, sizeof buffer);
  } while (got < 0 && errno == EINTR);
  if (got <= 0) return pid;  // closed by exec: it ran
  std::string message(buffer, static_cast<std::size_t>(got));
  auto colon = message.rfind(':');
  int error = std::atoi(message.c_str() + colon + 1);
  ::waitpid(pid, nullptr, 0);
  std::string step = message.substr(0, colon);
  if (step == "exec" && !process.args->empty()) step += " " + process.args->front();
  return sys_error(error, "{}", step);
}

}  // namespace

Result<CreatedInit> create_container_init(const std::string& /*container_id*/, const oci::Spec& spec,
                                          const ProcessStdio& stdio, bool terminal) {
  int barrier[2];
  if (::pipe2(barrier, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd barrier_read(barrier[0]);
  CreatedInit init;
  init.start_barrier.reset(barrier[1]);
  init.pid = KATA_TRY(spawn(spec.root->path, *spec.process, stdio, terminal, barrier_read.get(), false));
  return init;
}

Result<pid_t> exec_in_container(pid_t init_pid, const oci::Spec& /*container_spec*/, const oci::Process& process,
                                const ProcessStdio& stdio, bool terminal) {
  return spawn("/proc/" + std::to_string(init_pid) + "/root", process, stdio, terminal, -1, true);
}

}  // namespace kata::agent

#endif
