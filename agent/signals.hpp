#pragma once
// Signals and children of PID 1. The kernel delivers to init only signals it
// has handlers for, and every orphan in the guest is reparented to it, so the
// agent must reap whatever exits, or zombies pile up.

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {

/// What a batch of signals asks PID 1 to do.
enum class SignalAction {
  none,       ///< only children exited (they have been reaped)
  power_off,  ///< SIGTERM, SIGINT (ctrl-alt-del) or SIGPWR: shut down cleanly
};

/// Blocks SIGCHLD, SIGTERM, SIGINT and SIGPWR and returns a signalfd
/// (non-blocking, close-on-exec) that receives them; ignores SIGPIPE so a
/// write to a port the host closed fails with EPIPE instead of killing init.
/// Also turns ctrl-alt-del into SIGINT for init instead of an instant reboot.
Result<UniqueFd> take_over_signals();

/// Drains `signal_fd`, reaps every exited child, and says whether a
/// power-off was requested.
SignalAction handle_signals(int signal_fd);

/// Reaps every child that has exited, without blocking.
void reap_children();

}  // namespace kata::agent
