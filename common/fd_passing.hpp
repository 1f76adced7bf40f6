#pragma once
// File descriptors over unix stream sockets (SCM_RIGHTS): exec hands its
// stdio to the sandbox monitor this way, create/exec hand a pty master to an
// engine's --console-socket, and in the guest a container's init hands the
// master of its terminal to the agent.

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata {

/// Most fds one message may carry; more are closed and refused.
inline constexpr std::size_t max_passed_fds = 8;

/// Sends `payload` (non-empty) in one message carrying `fds` (at most
/// max_passed_fds) as SCM_RIGHTS. The caller keeps its fds.
Result<void> send_with_fds(int socket_fd, std::string_view payload, std::span<const int> fds);

/// A line received together with the fds that came with it.
struct LineWithFds {
  std::string line;             ///< without the '\n'
  std::vector<UniqueFd> fds;    ///< close-on-exec, in the order sent
};

/// Reads one line (at most 1 MiB) within `timeout`, collecting any fds
/// that arrive with its bytes. Bytes after the newline are lost.
Result<LineWithFds> receive_line_with_fds(int socket_fd, std::chrono::milliseconds timeout);

}  // namespace kata
