#pragma once
// TEMPORARY: a line-based stand-in for the agent protocol server, so the boot
// path can be tested end to end before agent-client/protocol lands. Delete
// this file pair (and its call in main.cpp) when the protocol server
// replaces it.
//   "ping\n"     -> "pong <number of entries in the shared dir>\n"
//   "poweroff\n" -> returns, and the caller powers off

#include <string>

#include "common/error.hpp"

namespace kata::agent {

/// Serves the port until the host asks for power-off or a signal asks for it
/// (then returns), reaping children as SIGCHLD arrives on `signal_fd`.
/// Survives the host disconnecting and reconnecting.
Result<void> run_placeholder_service(int port_fd, int signal_fd, const std::string& shared_dir);

}  // namespace kata::agent
