#pragma once
// The init's terminal, as runc makes it: a pty from the container's own
// devpts (so `tty` names /dev/pts/0, not /dev/console), whose slave is bound
// on /dev/console and becomes the init's stdio and controlling terminal, and
// whose master goes back to the agent over a socket (one SCM_RIGHTS message)
// for relaying. A container without a devpts of its own keeps the agent's
// pty, bound on /dev/console.

#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {

/// Child side, before pivot_root, once the rootfs's /dev is mounted: opens
/// `rootfs`'s /dev/ptmx and binds the new pty's slave on its /dev/console,
/// or, when the container has no usable ptmx, binds `agent_slave_path` (the
/// agent's pty slave, which the child holds as `agent_slave_fd`) there.
/// Sends the new master over `socket_fd` (a message without fd in the
/// fallback) and returns the slave for the init's 0, 1 and 2.
Result<UniqueFd> attach_console(const std::string& rootfs, int socket_fd, const std::string& agent_slave_path,
                                int agent_slave_fd);

/// Parent side, after the init reported ready: the master attach_console
/// sent on `socket_fd`, or an empty fd when the init kept the agent's pty.
Result<UniqueFd> receive_console(int socket_fd);

}  // namespace kata::agent
