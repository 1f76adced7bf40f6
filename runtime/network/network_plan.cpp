#include "runtime/network/network_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kata::runtime::network {

namespace {

constexpr std::string_view kTapSuffix = "_kata";

const PlannedInterface* find_planned(const std::vector<PlannedInterface>& planned, int ifindex) {
  for (const auto& interface : planned) {
    if (interface.ifindex == ifindex) return &interface;
  }
  return nullptr;
}

}  // namespace

std::string tap_name(std::size_t n) { return fmt::format("tap{}{}", n, kTapSuffix); }

bool is_kata_tap(std::string_view name) { return name.starts_with("tap") && name.ends_with(kTapSuffix); }

Result<NetworkPlan> plan_network(const NetnsSnapshot& snapshot) {
  NetworkPlan plan;
  for (const auto& link : snapshot.links) {
    if (link.loopback || link.mac.empty() || is_kata_tap(link.name)) continue;
    std::vector<std::string> addresses;
    for (const auto& address : snapshot.addresses) {
      if (address.ifindex == link.ifindex && !address.link_local) addresses.push_back(address.cidr);
    }
    if (addresses.empty()) continue;
    if (plan.interfaces.size() == agent_client::kMaxNetworkInterfaces)
      return make_error(ErrorKind::invalid_argument, "network namespace: more than {} interfaces to carry",
                        agent_client::kMaxNetworkInterfaces);
    PlannedInterface planned;
    planned.ifindex = link.ifindex;
    planned.host_name = link.name;
    planned.tap_name = tap_name(plan.interfaces.size());
    planned.guest = {link.mac, link.name, link.mtu, std::move(addresses)};
    plan.guest.interfaces.push_back(planned.guest);
    plan.interfaces.push_back(std::move(planned));
  }

  std::vector<agent_client::NetworkRoute> on_link;
  std::vector<agent_client::NetworkRoute> via_gateway;
  for (const auto& route : snapshot.routes) {
    if (!route.main_table || !route.unicast || route.kernel_made || route.multipath) continue;
    const PlannedInterface* device = find_planned(plan.interfaces, route.ifindex);
    if (device == nullptr) continue;
    agent_client::NetworkRoute guest{route.dest, route.gateway, device->host_name, route.source, route.scope};
    (route.gateway.empty() ? on_link : via_gateway).push_back(std::move(guest));
  }
  if (on_link.size() + via_gateway.size() > agent_client::kMaxNetworkRoutes)
    return make_error(ErrorKind::invalid_argument, "network namespace: more than {} routes to carry",
                      agent_client::kMaxNetworkRoutes);
  plan.guest.routes = std::move(on_link);
  plan.guest.routes.insert(plan.guest.routes.end(), via_gateway.begin(), via_gateway.end());
  return plan;
}

}  // namespace kata::runtime::network
