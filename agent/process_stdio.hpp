#pragma once
// The guest side of a process's stdio: pipes (or a pty) whose child ends are
// handed to the launcher and whose agent ends the server relays.

#include <string>

#include "agent/container/container.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {

/// Both ends of a new process's stdio. The agent ends are non-blocking and
/// close-on-exec; the child ends are close-on-exec too (the launcher dup2s
/// them onto 0, 1, 2, which clears the flag).
struct StdioFds {
  // Agent ends. With a terminal, `output` is the pty master, `input` a dup
  // of it, `error` is empty.
  UniqueFd input;   ///< we write the process's stdin here (empty: no stdin stream)
  UniqueFd output;  ///< we read its stdout here
  UniqueFd error;   ///< we read its stderr here
  // Child ends, closed by the server once the process started.
  UniqueFd child_in;
  UniqueFd child_out;
  UniqueFd child_err;

  /// The child ends as the launcher wants them.
  [[nodiscard]] ProcessStdio child() const { return {child_in.get(), child_out.get(), child_err.get()}; }
  /// Closes the child ends (after the process started: it holds its own copies).
  void close_child_ends();
};

/// Pipes for a process. A missing stream (`with_stdin` false etc.) gets
/// /dev/null in the child, so it never reads a stray fd or dies of SIGPIPE.
Result<StdioFds> make_pipes(bool with_stdin, bool with_stdout, bool with_stderr);

/// A pty (posix_openpt) whose slave is the child's 0, 1 and 2; `rows`/`cols`
/// set its initial size when non-zero.
/// `ptmx`: the ptmx to open (a container's, through /proc/PID/root), or
/// empty (or unusable) for the agent's own.
Result<StdioFds> make_pty(unsigned rows, unsigned cols, const std::string& ptmx = "");

/// Sets the window size of the pty whose master is `master_fd`.
Result<void> resize_pty(int master_fd, unsigned rows, unsigned cols);

}  // namespace kata::agent
