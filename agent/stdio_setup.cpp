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
