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

}  // namespace kata::agent
