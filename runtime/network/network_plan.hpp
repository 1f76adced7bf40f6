#pragma once
// What kata carries from a container's network namespace into its VM
// (Kata's tcfilter model): a pure function from a snapshot of the namespace
// (links, addresses, routes, as read over netlink by netns_snapshot.cpp) to
// the taps to create on the host and the ConfigureNetwork request the agent
// applies in the guest. Pure, so it is unit-tested without root.

#include <string>
#include <vector>

#include "agent-client/messages.hpp"
#include "common/error.hpp"

namespace kata::runtime::network {

/// One link of the namespace as netlink reports it.
struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::string mac;  ///< "aa:bb:cc:dd:ee:ff"; empty for links without an Ethernet address
  unsigned mtu = 0;
  bool loopback = false;
};

/// One address of a link.
struct AddressInfo {
  int ifindex = 0;
  std::string cidr;         ///< "10.0.0.2/24", "fd00::2/64"
  bool link_local = false;  ///< IPv6 fe80::/10 (the guest makes its own from the MAC)
};

/// One route of the namespace.
struct RouteInfo {
  int ifindex = 0;          ///< output device of its (single) next hop; 0 if none
  std::string dest;         ///< "default" or a prefix "10.0.0.0/24"
  std::string gateway;      ///< empty: on-link
  std::string source;       ///< preferred source; empty: none
  unsigned scope = 0;       ///< RT_SCOPE_*
  bool main_table = true;   ///< in RT_TABLE_MAIN
  bool unicast = true;      ///< RTN_UNICAST
  bool kernel_made = false; ///< RTPROT_KERNEL: the kernel adds it with the address, so the guest's kernel will too
  bool multipath = false;   ///< more than one next hop (not carried)
};

/// Everything netns_snapshot reads from one namespace.
struct NetnsSnapshot {
  std::vector<LinkInfo> links;
  std::vector<AddressInfo> addresses;
  std::vector<RouteInfo> routes;
};

/// One interface the VM gets: the host link it mirrors and the tap that
/// carries its traffic to QEMU.
struct PlannedInterface {
  int ifindex = 0;               ///< the host link (veth) in the namespace
  std::string host_name;         ///< its name
  std::string tap_name;          ///< "tap<N>_kata", created next to it
  agent_client::NetworkInterface guest;  ///< what the guest configures (same MAC, MTU, addresses)
};

/// The whole plan for one namespace.
struct NetworkPlan {
  std::vector<PlannedInterface> interfaces;
  agent_client::ConfigureNetwork guest;  ///< interfaces (as above) and routes
};

/// The name of kata's tap for the `n`th carried interface ("tap0_kata").
std::string tap_name(std::size_t n);

/// True for names kata gives its taps (so a second look at a namespace never
/// carries kata's own taps).
bool is_kata_tap(std::string_view name);

/// Picks the links to carry (not loopback, not a kata tap, with an Ethernet
/// address and at least one address other than IPv6 link-local) and the
/// routes over them (main table, unicast, single next hop, not the kernel's
/// own prefix routes), routes without a gateway first so the guest can add
/// the ones via a gateway after them. More than kMaxNetworkInterfaces links
/// is an invalid_argument error.
Result<NetworkPlan> plan_network(const NetnsSnapshot& snapshot);

}  // namespace kata::runtime::network
