#pragma once
// Reads links, addresses and routes of the calling thread's network
// namespace over netlink (libnl-route-3), as plain NetnsSnapshot values.

#include "common/error.hpp"
#include "runtime/network/network_plan.hpp"

struct nl_sock;

namespace kata::runtime::network {

/// A snapshot of the namespace that `socket` (a connected NETLINK_ROUTE
/// socket) lives in.
Result<NetnsSnapshot> read_netns_snapshot(nl_sock* socket);

}  // namespace kata::runtime::network
