#include "agent/stdio_setup.hpp"

#include <fcntl.h>

#include <cerrno>

namespace kata::agent {

Result<StdioFds> make_stdio(const agent_client::StdioStreams& streams, bool terminal, const oci::Process& process,
                            const std::string& ptmx) {
  if (terminal) {
    unsigned rows = process.console_size ? process.console_size->height : 0;
    unsigned cols = process.console_size ? process.console_size->width : 0;
    return make_pty(rows, cols, ptmx);
  }
  return make_pipes(streams.stdin_id != 0, streams.stdout_id != 0, streams.stderr_id != 0);
}

Result<void> use_console(StdioFds& fds, UniqueFd master, const oci::Process& process) {
  // Non-blocking like every relayed fd; the flag is shared with the dup.
  int flags = ::fcntl(master.get(), F_GETFL);
  if (flags < 0 || ::fcntl(master.get(), F_SETFL, flags | O_NONBLOCK) < 0) return sys_error(errno, "fcntl");
  UniqueFd input(::fcntl(master.get(), F_DUPFD_CLOEXEC, 0));
  if (!input) return sys_error(errno, "dup pty master");
  if (process.console_size) {
    KATA_TRY(resize_pty(master.get(), process.console_size->height, process.console_size->width));
  }
  fds.output = std::move(master);
  fds.input = std::move(input);
  return ok();
}

Result<void> adopt_stdio(ManagedProcess& process, StdioFds& fds, bool terminal) {
  fds.close_child_ends();
  process.terminal = terminal;
  if (terminal) {
    process.pty_master.reset(::fcntl(fds.output.get(), F_DUPFD_CLOEXEC, 0));
    if (!process.pty_master) return sys_error(errno, "dup pty master");
  }
  process.stdin_fd = std::move(fds.input);
  process.out.fd = std::move(fds.output);
  process.err.fd = std::move(fds.error);
  return ok();
}

}  // namespace kata::agent
