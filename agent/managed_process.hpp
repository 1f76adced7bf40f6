#pragma once
// What the server keeps per container and per process: pids, the agent ends
// of their stdio with the stream ids they are relayed on, exit status and the
// WaitProcess requests waiting for it.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/oom_watch.hpp"
#include "common/unique_fd.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// One direction of relayed output (stdout or stderr of a process).
struct OutputPipe {
  UniqueFd fd;           ///< agent end (pipe read end or pty master); empty once at EOF
  std::uint32_t id = 0;  ///< outbound stream id; 0: output is read and discarded
};

/// A process the agent started (a container's init or an exec'd process).
struct ManagedProcess {
  pid_t pid = -1;
  bool terminal = false;
  UniqueFd pty_master;  ///< terminal only: kept for ResizeTty

  UniqueFd stdin_fd;          ///< agent end of stdin; empty once closed
  std::uint32_t stdin_id = 0; ///< inbound stream id (0: none)
  std::string stdin_buffer;   ///< received, not yet written (bounded by our window)
  bool stdin_eof = false;     ///< the host closed the stdin stream

  OutputPipe out;
  OutputPipe err;

  bool exited = false;   ///< reaped
  int status = 0;        ///< exit code or 128+signal, once exited
  bool reported = false; ///< ProcessExited sent (after stdout/stderr EOF)
  std::vector<std::uint32_t> waiters;  ///< WaitProcess request ids to answer at report time
};

/// A container the agent created.
struct ManagedContainer {
  oci::Spec spec;
  UniqueFd start_barrier;  ///< until StartContainer
  UniqueFd exec_report;    ///< until StartContainer: end-of-file once the init exec'd
  bool has_cgroup = false;
  /// PauseContainer froze the cgroup (until ResumeContainer): a process
  /// cloned into it now would freeze before it could report its exec.
  bool frozen = false;
  /// The cgroup's memory.events, polled for OOM kills; empty without a
  /// cgroup or a memory controller.
  std::optional<OomWatch> oom_watch;
  bool removing = false;   ///< RemoveContainer killed it; erase once every process is reported
  std::optional<std::uint32_t> remove_request;  ///< answer when the removal completes
  /// Processes by exec id; "" is the init.
  std::map<std::string, ManagedProcess> processes;

  /// The init process.
  ManagedProcess& init() { return processes.at(""); }
};

}  // namespace kata::agent
