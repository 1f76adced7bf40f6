#pragma once
// A late network: the engine sets the container's network namespace up
// only after create, in the namespace of the container's pid (podman does
// so for a container with a user namespace, so that the user namespace owns
// the network namespace). That namespace is the stand-in's, made by kata;
// the VM booted without its interfaces. Before the container starts, kata
// carries what the engine put there into the VM: taps and tc filters in the
// stand-in's namespace (tcfilter, as at create), the taps hot-plugged as
// NICs, and the agent moves them into the container's own namespace in the
// guest. Nothing is recorded for delete: each tap goes when QEMU closes it,
// and the filters on the engine's interface go with that interface, which
// the engine deletes at its network teardown.

#include <string>

#include "common/error.hpp"
#include "runtime/container_record.hpp"

namespace kata::runtime {

/// Carries the interfaces with addresses in the network namespace of
/// `record`'s pid into its VM through the monitor at `monitor_socket`;
/// nothing to do when there are none. On failure what it made is removed.
Result<void> carry_late_network(const ContainerRecord& record, const std::string& monitor_socket);

}  // namespace kata::runtime
