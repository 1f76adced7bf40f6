#include "common/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/unique_fd.hpp"

namespace kata {

namespace {

// Writes the errno of a failed step to the status pipe and exits. fork-safe.
[[noreturn]] void child_fail(int status_fd) {
  int error = errno;
  [[maybe_unused]] ssize_t written = ::write(status_fd, &error, sizeof error);
  ::_exit(127);
}

}  // namespace

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    this->~ChildProcess();
    pid_ = std::exchange(other.pid_, -1);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return make_error(ErrorKind::internal, "spawn: empty argv");

  // Everything the child needs is prepared before fork: between fork and exec
  // only async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (const auto& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  if (options.env) {
    for (const auto& entry : *options.env) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
  }

  // Move each source fd above every target number first, so that installing
  // one target can never clobber the source of another.
  int highest_target = 2;
  for (const auto& [source, target] : options.fds) highest_target = std::max(highest_target, target);
  std::vector<UniqueFd> staged;
  std::vector<std::pair<int, int>> moves;
  for (const auto& [source, target] : options.fds) {
    int copy = ::fcntl(source, F_DUPFD_CLOEXEC, highest_target + 1);
    if (copy < 0) return sys_error(errno, "spawn {}: duplicate fd {}", options.argv[0], source);
    staged.emplace_back(copy);
    moves.emplace_back(copy, target);
  }

  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) < 0) return sys_error(errno, "spawn {}: pipe", options.argv[0]);
  UniqueFd status_read(status_pipe[0]);
  UniqueFd status_write(status_pipe[1]);
  pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return sys_error(errno, "spawn {}: fork", options.argv[0]);
  if (pid == 0) {
    // fork-safe from here to exec.
    int fd = status_write.get();
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (options.parent_death_signal != 0) {
      if (::prctl(PR_SET_PDEATHSIG, options.parent_death_signal) < 0) child_fail(fd);
      if (::getppid() != parent) ::_exit(127);
    }
    if (options.new_session && ::setsid() < 0) child_fail(fd);
    for (const auto& [source, target] : moves) {
      if (::dup2(source, target) < 0) child_fail(fd);  // dup2 clears FD_CLOEXEC on target
    }
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) < 0) child_fail(fd);
    if (options.env) {
      ::execve(argv[0], argv.data(), envp.data());
    } else {
      ::execv(argv[0], argv.data());
    }
    child_fail(fd);
  }

  ChildProcess child(pid);
  status_write.reset();
  int child_errno = 0;
  ssize_t got;
  do {
    got = ::read(status_read.get(), &child_errno, sizeof child_errno);
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    (void)child.wait();  // reap the failed child; its status is known (127)
    return sys_error(child_errno, "execute {}", options.argv[0]);
  }
  return child;
}

Result<void> ChildProcess::signal(int signal) const {
  if (pid_ <= 0) return make_error(ErrorKind::wrong_state, "signal: no child process");
  if (::kill(pid_, signal) < 0) return sys_error(errno, "signal pid {}", pid_);
  return ok();
}

Result<int> ChildProcess::wait() {
  if (pid_ <= 0) return make_error(ErrorKind::wrong_state, "wait: no child process");
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return sys_error(errno, "wait for pid {}", pid_);
  }
  pid_ = -1;
  return status;
}

Result<std::optional<int>> ChildProcess::try_wait() {
  if (pid_ <= 0) return make_error(ErrorKind::wrong_state, "wait: no child process");
  int status = 0;
  pid_t got;
  do {
    got = ::waitpid(pid_, &status, WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return sys_error(errno, "wait for pid {}", pid_);
  if (got == 0) return std::optional<int>{};
  pid_ = -1;
  return std::optional<int>{status};
}

int exit_code_from_wait_status(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

}  // namespace kata
