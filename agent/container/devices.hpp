#pragma once
// Device nodes of a container's /dev (before pivot_root, paths in the rootfs):
// the default devices runc creates, linux.devices, the /dev symlinks and the
// /dev/console of a terminal process.

#include <string>

#include "common/error.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// Creates /dev/null, zero, full, random, urandom, tty (unless linux.devices
/// lists the same path) and every linux.devices entry under `rootfs`. A node
/// is made with mknod; where that is not permitted (user namespace) the
/// agent's own device is bind-mounted over an empty file instead.
Result<void> create_devices(const std::string& rootfs, const oci::Spec& spec);

/// /dev/fd, stdin, stdout, stderr -> /proc/self/fd...; /dev/ptmx -> pts/ptmx.
Result<void> create_dev_symlinks(const std::string& rootfs);

/// Bind-mounts the terminal `slave_path` (the container's /dev/pts/N seen
/// from the agent, or the agent's own pty slave) on the rootfs's /dev/console.
Result<void> bind_console(const std::string& rootfs, const std::string& slave_path);

}  // namespace kata::agent
