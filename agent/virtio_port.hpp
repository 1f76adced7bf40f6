#pragma once
// The host talks to the agent on a virtio-serial port it names (QEMU
// `-device virtserialport,name=agent.channel.0`). Port numbers depend on
// device order, so the port is found by name.

#include <chrono>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {

/// Looks in `class_dir` (normally /sys/class/virtio-ports) for a port whose
/// `name` file holds `name`; returns its device node "/dev/<entry>", or a
/// not_found error.
Result<std::string> find_virtio_port(const std::string& class_dir, const std::string& name);

/// Waits up to `timeout` for the port named `name` to appear (the host
/// announces names asynchronously after the driver loads) and opens it
/// read-write, non-blocking, close-on-exec. The caller owns the fd.
Result<UniqueFd> open_virtio_port(const std::string& name, std::chrono::milliseconds timeout);

}  // namespace kata::agent
