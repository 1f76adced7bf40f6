#pragma once

#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata {

/// Connects a SOCK_STREAM socket to the unix socket at `path`. Paths longer
/// than sun_path (108 bytes, easily exceeded with long --root and container
/// IDs) are reached through /proc/self/fd of their opened parent directory.
Result<UniqueFd> connect_unix_socket(const std::string& path);

/// Creates a listening SOCK_STREAM unix socket at `path` (same long-path
/// handling), mode 0600.
Result<UniqueFd> listen_unix_socket(const std::string& path);

}  // namespace kata
