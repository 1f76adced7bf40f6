#include "runtime/network/netns_snapshot.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/rtnetlink.h>
#include <linux/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "runtime/network/netlink.hpp"

namespace kata::runtime::network {

namespace {

// "aa:bb:cc:dd:ee:ff" for a 6-byte Ethernet address, empty otherwise.
std::string format_mac(nl_addr* address) {
  if (address == nullptr || nl_addr_get_len(address) != 6) return {};
  const auto* bytes = static_cast<const unsigned char*>(nl_addr_get_binary_addr(address));
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
                     bytes[5]);
}

// The address alone ("10.0.0.1"); empty for none or an unknown family.
std::string format_ip(nl_addr* address) {
  if (address == nullptr || nl_addr_get_len(address) == 0) return {};
  int family = nl_addr_get_family(address);
  if (family != AF_INET && family != AF_INET6) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(family, nl_addr_get_binary_addr(address), text, sizeof text) == nullptr) return {};
  return text;
}

bool is_ipv6_link_local(nl_addr* address) {
  if (nl_addr_get_family(address) != AF_INET6 || nl_addr_get_len(address) != 16) return false;
  const auto* bytes = static_cast<const unsigned char*>(nl_addr_get_binary_addr(address));
  return bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80;
}

template <typename T, typename F>
void for_each(nl_cache* cache, F&& visit) {
  for (nl_object* object = nl_cache_get_first(cache); object != nullptr; object = nl_cache_get_next(object))
    visit(reinterpret_cast<T*>(object));
}

}  // namespace

Result<NetnsSnapshot> read_netns_snapshot(nl_sock* socket) {
  NetnsSnapshot snapshot;

  nl_cache* raw = nullptr;
  if (int rc = rtnl_link_alloc_cache(socket, AF_UNSPEC, &raw); rc < 0) return nl_failure(rc, "list links");
  NlCache links(raw);
  for_each<rtnl_link>(links.get(), [&](rtnl_link* link) {
    LinkInfo info;
    info.ifindex = rtnl_link_get_ifindex(link);
    const char* name = rtnl_link_get_name(link);
    info.name = name != nullptr ? name : "";
    info.mac = format_mac(rtnl_link_get_addr(link));
    info.mtu = rtnl_link_get_mtu(link);
    info.loopback = (rtnl_link_get_flags(link) & IFF_LOOPBACK) != 0;
    snapshot.links.push_back(std::move(info));
  });

  raw = nullptr;
  if (int rc = rtnl_addr_alloc_cache(socket, &raw); rc < 0) return nl_failure(rc, "list addresses");
  NlCache addresses(raw);
  for_each<rtnl_addr>(addresses.get(), [&](rtnl_addr* address) {
    nl_addr* local = rtnl_addr_get_local(address);
    std::string ip = format_ip(local);
    if (ip.empty()) return;
    snapshot.addresses.push_back({rtnl_addr_get_ifindex(address),
                                  fmt::format("{}/{}", ip, rtnl_addr_get_prefixlen(address)),
                                  is_ipv6_link_local(local)});
  });

  raw = nullptr;
  if (int rc = rtnl_route_alloc_cache(socket, AF_UNSPEC, 0, &raw); rc < 0) return nl_failure(rc, "list routes");
  NlCache routes(raw);
  for_each<rtnl_route>(routes.get(), [&](rtnl_route* route) {
    int family = rtnl_route_get_family(route);
    if (family != AF_INET && family != AF_INET6) return;
    RouteInfo info;
    nl_addr* dest = rtnl_route_get_dst(route);
    if (dest == nullptr || nl_addr_get_prefixlen(dest) == 0) {
      info.dest = "default";
    } else {
      std::string ip = format_ip(dest);
      if (ip.empty()) return;
      info.dest = fmt::format("{}/{}", ip, nl_addr_get_prefixlen(dest));
    }
    info.source = format_ip(rtnl_route_get_pref_src(route));
    info.scope = rtnl_route_get_scope(route);
    info.main_table = rtnl_route_get_table(route) == RT_TABLE_MAIN;
    info.unicast = rtnl_route_get_type(route) == RTN_UNICAST;
    info.kernel_made = rtnl_route_get_protocol(route) == RTPROT_KERNEL;
    info.multipath = rtnl_route_get_nnexthops(route) > 1;
    if (rtnl_route_get_nnexthops(route) >= 1) {
      rtnl_nexthop* hop = rtnl_route_nexthop_n(route, 0);
      info.ifindex = rtnl_route_nh_get_ifindex(hop);
      info.gateway = format_ip(rtnl_route_nh_get_gateway(hop));
    }
    snapshot.routes.push_back(std::move(info));
  });
  return snapshot;
}

}  // namespace kata::runtime::network
