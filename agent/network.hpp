#pragma once
// The guest half of the tcfilter model: the host's interfaces arrive as
// virtio-net devices with the same MACs; the agent finds each by MAC, gives
// it the host interface's name, MTU and addresses, brings it up and adds
// the routes. Netlink through libnl-3/libnl-route-3 (Debian's static
// archives), like the host side.

#include <chrono>

#include "agent-client/messages.hpp"
#include "common/error.hpp"

namespace kata::agent {

/// Applies `request` in the agent's (the guest's root) network namespace;
/// lo is brought up even when the request carries no interface. A device
/// that has not appeared within `device_wait` is a not_found error naming
/// its MAC. Addresses and routes that already exist are fine (idempotent).
Result<void> configure_network(const agent_client::ConfigureNetwork& request, std::chrono::milliseconds device_wait);

/// Moves each of `request`'s interfaces, once it has appeared in the
/// agent's namespace, into the network namespace `netns_fd` (a container's
/// own), then applies the request there, from a thread that enters it (a
/// network namespace is per thread). For engines that configure a
/// container's namespace after create: podman does so for a container with
/// a user namespace, whose network namespace must be owned by it.
Result<void> configure_network_in(const agent_client::ConfigureNetwork& request, int netns_fd,
                                  std::chrono::milliseconds device_wait);

}  // namespace kata::agent
