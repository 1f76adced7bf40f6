#include "agent/process_stdio.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace kata::agent {

namespace {

Result<UniqueFd> open_null() {
  UniqueFd fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!fd) return sys_error(errno, "open /dev/null");
  return fd;
}

// Pipe with the agent's end non-blocking; `agent_reads` picks which end is ours.
Result<void> make_pipe(bool agent_reads, UniqueFd& agent_end, UniqueFd& child_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  agent_end = agent_reads ? std::move(read_end) : std::move(write_end);
  child_end = agent_reads ? std::move(write_end) : std::move(read_end);
  int flags = ::fcntl(agent_end.get(), F_GETFL);
  if (flags < 0 || ::fcntl(agent_end.get(), F_SETFL, flags | O_NONBLOCK) < 0) return sys_error(errno, "fcntl");
  return ok();
}

}  // namespace

void StdioFds::close_child_ends() {
  child_in.reset();
  child_out.reset();
  child_err.reset();
}

Result<StdioFds> make_pipes(bool with_stdin, bool with_stdout, bool with_stderr) {
  StdioFds fds;
  if (with_stdin) {
    KATA_TRY(make_pipe(false, fds.input, fds.child_in).wrap("stdin"));
  } else {
    fds.child_in = KATA_TRY(open_null());
  }
  if (with_stdout) {
    KATA_TRY(make_pipe(true, fds.output, fds.child_out).wrap("stdout"));
  } else {
    fds.child_out = KATA_TRY(open_null());
  }
  if (with_stderr) {
    KATA_TRY(make_pipe(true, fds.error, fds.child_err).wrap("stderr"));
  } else {
    fds.child_err = KATA_TRY(open_null());
  }
  return fds;
}

Result<StdioFds> make_pty(unsigned rows, unsigned cols, const std::string& ptmx) {
  StdioFds fds;
  // The container's own devpts when given, so that the slave has a name
  // there (/dev/pts/N, which `tty` finds); the agent's otherwise.
  if (!ptmx.empty()) fds.output.reset(::open(ptmx.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
  if (!fds.output) fds.output.reset(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
  if (!fds.output) return sys_error(errno, "open pty master");
  if (::unlockpt(fds.output.get()) < 0) return sys_error(errno, "unlockpt");
  // TIOCGPTPEER opens the slave of this very master, whichever devpts
  // instance it lives in (no path lookup in the agent's mount namespace).
  fds.child_in.reset(::ioctl(fds.output.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!fds.child_in) return sys_error(errno, "open pty slave");
  fds.child_out.reset(::fcntl(fds.child_in.get(), F_DUPFD_CLOEXEC, 0));
  fds.child_err.reset(::fcntl(fds.child_in.get(), F_DUPFD_CLOEXEC, 0));
  if (!fds.child_out || !fds.child_err) return sys_error(errno, "dup pty slave");
  // A separate fd for writing lets stdin be "closed" without hanging up the pty.
  fds.input.reset(::fcntl(fds.output.get(), F_DUPFD_CLOEXEC, 0));
  if (!fds.input) return sys_error(errno, "dup pty master");
  if (rows != 0 || cols != 0) KATA_TRY(resize_pty(fds.output.get(), rows, cols));
  return fds;
}

Result<void> resize_pty(int master_fd, unsigned rows, unsigned cols) {
  winsize size{};
  size.ws_row = static_cast<unsigned short>(rows);
  size.ws_col = static_cast<unsigned short>(cols);
  if (::ioctl(master_fd, TIOCSWINSZ, &size) < 0) return sys_error(errno, "set pty window size");
  return ok();
}

}  // namespace kata::agent
