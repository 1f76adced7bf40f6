#pragma once
// Builds a process's stdio for the server from what the host asked for.

#include "agent-client/messages.hpp"
#include "agent/managed_process.hpp"
#include "agent/process_stdio.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// Pipes for the streams the host named, or a pty sized from
/// process.consoleSize when `terminal`.
Result<StdioFds> make_stdio(const agent_client::StdioStreams& streams, bool terminal, const oci::Process& process,
                            const std::string& ptmx = "");

/// Makes `master` (an init's pty, allocated in its container's devpts) the
/// agent end of the terminal `fds` in place of the pty make_stdio made,
/// sized from process.consoleSize.
Result<void> use_console(StdioFds& fds, UniqueFd master, const oci::Process& process);

/// Moves the agent ends of `fds` into `process` (after the launch).
Result<void> adopt_stdio(ManagedProcess& process, StdioFds& fds, bool terminal);

}  // namespace kata::agent
