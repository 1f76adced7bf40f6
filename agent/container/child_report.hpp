#pragma once
// The error channel between a forked container process and the agent. The
// child writes one record into a close-on-exec pipe: "ready" (it waits at the
// start barrier) or an error {kind, errno, message}. A successful execve
// closes the pipe, so the parent reads end-of-file with no record.

#include "common/error.hpp"

namespace kata::agent {

/// What the parent learnt from the child's pipe.
enum class ChildOutcome {
  ready,   ///< the child finished setup and waits at the start barrier
  closed,  ///< the pipe closed without a record: the child exec'd or died
};

/// Child side: sends `error` as one atomic record (message cut to fit
/// PIPE_BUF). Errors of the write itself are ignored: the parent then sees
/// end-of-file and reports the child's exit status.
void report_child_error(int fd, const Error& error);

/// Child side: sends the "ready" record.
void report_child_ready(int fd);

/// Parent side: blocks until the child sends a record or closes the pipe.
/// An error record comes back as that Error.
Result<ChildOutcome> read_child_report(int fd);

}  // namespace kata::agent
