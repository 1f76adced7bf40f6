#include "agent/signals.hpp"

#include <signal.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace kata::agent {

Result<UniqueFd> take_over_signals() {
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR) return sys_error(errno, "ignore SIGPIPE");
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGCHLD, SIGTERM, SIGINT, SIGPWR}) sigaddset(&set, signal);
  // Blocked signals stay pending and are read from the signalfd, so children
  // are reaped in the main loop, never inside an async handler.
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) return sys_error(errno, "block signals");
  UniqueFd fd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd) return sys_error(errno, "signalfd");
  // Only PID 1 may do this; outside the guest it fails harmlessly.
  (void)::reboot(RB_DISABLE_CAD);
  return fd;
}

void reap_children() {
  while (true) {
    pid_t pid = ::waitpid(-1, nullptr, WNOHANG);
    if (pid > 0) continue;
    if (pid < 0 && errno == EINTR) continue;
    break;  // 0: children left but none exited; -1/ECHILD: no children
  }
}

SignalAction handle_signals(int signal_fd) {
  SignalAction action = SignalAction::none;
  signalfd_siginfo info{};
  while (::read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo != SIGCHLD) action = SignalAction::power_off;
  }
  // SIGCHLD coalesces: one pending signal may stand for many exits, so reap all.
  reap_children();
  return action;
}

}  // namespace kata::agent
