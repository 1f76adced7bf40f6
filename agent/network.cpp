#include "agent/network.hpp"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <sched.h>

#include <cctype>
#include <memory>
#include <system_error>
#include <thread>

#include "agent/container/loopback.hpp"

namespace kata::agent {

namespace {

struct NlSocketFree {
  void operator()(nl_sock* socket) const { nl_socket_free(socket); }
};
struct NlCacheFree {
  void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};
struct NlObjectPut {
  void operator()(void* object) const { nl_object_put(static_cast<nl_object*>(object)); }
};
struct NlAddrPut {
  void operator()(nl_addr* address) const { nl_addr_put(address); }
};
using NlSocket = std::unique_ptr<nl_sock, NlSocketFree>;
using NlCache = std::unique_ptr<nl_cache, NlCacheFree>;
template <typename T>
using NlObject = std::unique_ptr<T, NlObjectPut>;
using NlAddr = std::unique_ptr<nl_addr, NlAddrPut>;

Error nl_failure(int code, const std::string& what) {
  return make_error(code == -NLE_EXIST ? ErrorKind::already_exists : ErrorKind::system, "{}: {}", what,
                    nl_geterror(code));
}

Result<NlAddr> parse_address(const std::string& text, int family, const std::string& what) {
  nl_addr* raw = nullptr;
  if (int rc = nl_addr_parse(text.c_str(), family, &raw); rc < 0)
    return make_error(ErrorKind::invalid_argument, "{}: \"{}\" is not an address", what, text);
  return NlAddr(raw);
}

// "aa:bb:.." of a link's hardware address, lower case.
std::string mac_of(rtnl_link* link) {
  nl_addr* address = rtnl_link_get_addr(link);
  if (address == nullptr || nl_addr_get_len(address) != 6) return {};
  const auto* b = static_cast<const unsigned char*>(nl_addr_get_binary_addr(address));
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5]);
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The link whose MAC is `mac`, waiting for it to appear: virtio-net probes
// its device asynchronously after the module loads.
Result<NlObject<rtnl_link>> find_by_mac(nl_sock* socket, const std::string& mac, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  std::string wanted = lower(mac);
  while (true) {
    nl_cache* raw = nullptr;
    if (int rc = rtnl_link_alloc_cache(socket, AF_UNSPEC, &raw); rc < 0) return nl_failure(rc, "list links");
    NlCache links(raw);
    for (nl_object* object = nl_cache_get_first(links.get()); object != nullptr; object = nl_cache_get_next(object)) {
      auto* link = reinterpret_cast<rtnl_link*>(object);
      if (mac_of(link) == wanted) {
        nl_object_get(object);
        return NlObject<rtnl_link>(link);
      }
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(ErrorKind::not_found, "no network device with MAC {}", mac);
    // A link dump is cheap; a hot-plugged NIC's wait is on create's path.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<NlObject<rtnl_link>> find_by_name(nl_sock* socket, const std::string& name) {
  rtnl_link* raw = nullptr;
  if (int rc = rtnl_link_get_kernel(socket, 0, name.c_str(), &raw); rc < 0) return nl_failure(rc, "link " + name);
  return NlObject<rtnl_link>(raw);
}

Result<void> change_link(nl_sock* socket, rtnl_link* link, rtnl_link* change, const std::string& what) {
  if (int rc = rtnl_link_change(socket, link, change, 0); rc < 0) return nl_failure(rc, what);
  return ok();
}

// Whether the guest's device still has another MAC than the interface's
// (a clone's standby NIC).
bool readdressed(const agent_client::NetworkInterface& interface) {
  return !interface.device_mac.empty() && lower(interface.device_mac) != lower(interface.mac);
}
// The MAC the guest's device has now.
const std::string& current_mac(const agent_client::NetworkInterface& interface) {
  return readdressed(interface) ? interface.device_mac : interface.mac;
}

Result<NlSocket> route_socket() {
  NlSocket socket(nl_socket_alloc());
  if (!socket) return make_error(ErrorKind::system, "netlink: out of memory");
  if (int rc = nl_connect(socket.get(), NETLINK_ROUTE); rc < 0) return nl_failure(rc, "netlink: connect");
  return socket;
}

Result<void> configure_interface(nl_sock* socket, const agent_client::NetworkInterface& interface,
                                 std::chrono::milliseconds wait) {
  bool readdress = readdressed(interface);
  auto link = KATA_TRY(find_by_mac(socket, current_mac(interface), wait));
  int ifindex = rtnl_link_get_ifindex(link.get());
  // Name, MTU and MAC first, while the device is still down (a rename needs
  // it down).
  NlObject<rtnl_link> change(rtnl_link_alloc());
  if (!change) return make_error(ErrorKind::system, "netlink: out of memory");
  const char* current = rtnl_link_get_name(link.get());
  if (current == nullptr || interface.name != current) rtnl_link_set_name(change.get(), interface.name.c_str());
  rtnl_link_set_mtu(change.get(), interface.mtu);
  NlAddr mac;
  if (readdress) {
    mac = KATA_TRY(parse_address(interface.mac, AF_LLC, "MAC of " + interface.name));
    rtnl_link_set_addr(change.get(), mac.get());
  }
  KATA_TRY(change_link(socket, link.get(), change.get(), "set name, MTU and MAC of " + interface.mac));

  for (const auto& text : interface.addresses) {
    auto local = KATA_TRY(parse_address(text, AF_UNSPEC, interface.name));
    NlObject<rtnl_addr> address(rtnl_addr_alloc());
    if (!address) return make_error(ErrorKind::system, "netlink: out of memory");
    rtnl_addr_set_ifindex(address.get(), ifindex);
    if (int rc = rtnl_addr_set_local(address.get(), local.get()); rc < 0) return nl_failure(rc, text);
    // The host already checked this address for duplicates on its link.
    if (nl_addr_get_family(local.get()) == AF_INET6) rtnl_addr_set_flags(address.get(), IFA_F_NODAD);
    if (int rc = rtnl_addr_add(socket, address.get(), 0); rc < 0 && rc != -NLE_EXIST)
      return nl_failure(rc, fmt::format("add {} to {}", text, interface.name));
  }

  NlObject<rtnl_link> up(rtnl_link_alloc());
  if (!up) return make_error(ErrorKind::system, "netlink: out of memory");
  rtnl_link_set_flags(up.get(), IFF_UP);
  auto renamed = KATA_TRY(find_by_name(socket, interface.name));
  return change_link(socket, renamed.get(), up.get(), "bring up " + interface.name);
}

int family_of(const agent_client::NetworkRoute& route) {
  for (const std::string* text : {&route.gateway, &route.source, &route.dest}) {
    if (text->empty() || *text == "default") continue;
    return text->find(':') != std::string::npos ? AF_INET6 : AF_INET;
  }
  return AF_INET;
}

Result<void> add_route(nl_sock* socket, const agent_client::NetworkRoute& route) {
  std::string what = fmt::format("route {} via {} dev {}", route.dest, route.gateway.empty() ? "-" : route.gateway,
                                 route.device);
  int family = family_of(route);
  NlObject<rtnl_route> entry(rtnl_route_alloc());
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  if (!entry || hop == nullptr) {
    if (hop != nullptr) rtnl_route_nh_free(hop);
    return make_error(ErrorKind::system, "netlink: out of memory");
  }
  rtnl_route_add_nexthop(entry.get(), hop);  // the route owns it now
  rtnl_route_set_family(entry.get(), static_cast<std::uint8_t>(family));
  rtnl_route_set_table(entry.get(), RT_TABLE_MAIN);
  rtnl_route_set_protocol(entry.get(), RTPROT_BOOT);
  rtnl_route_set_type(entry.get(), RTN_UNICAST);
  rtnl_route_set_scope(entry.get(), static_cast<std::uint8_t>(route.scope));
  auto dest = KATA_TRY(parse_address(route.dest, family, what));
  if (int rc = rtnl_route_set_dst(entry.get(), dest.get()); rc < 0) return nl_failure(rc, what);
  if (!route.source.empty()) {
    auto source = KATA_TRY(parse_address(route.source, family, what));
    if (int rc = rtnl_route_set_pref_src(entry.get(), source.get()); rc < 0) return nl_failure(rc, what);
  }
  if (!route.device.empty()) {
    auto device = KATA_TRY(find_by_name(socket, route.device));
    rtnl_route_nh_set_ifindex(hop, rtnl_link_get_ifindex(device.get()));
  }
  if (!route.gateway.empty()) {
    auto gateway = KATA_TRY(parse_address(route.gateway, family, what));
    rtnl_route_nh_set_gateway(hop, gateway.get());
  }
  if (int rc = rtnl_route_add(socket, entry.get(), NLM_F_EXCL); rc < 0 && rc != -NLE_EXIST)
    return nl_failure(rc, "add " + what);
  return ok();
}

}  // namespace

Result<void> configure_network(const agent_client::ConfigureNetwork& request, std::chrono::milliseconds device_wait) {
  KATA_TRY(bring_loopback_up());
  if (request.interfaces.empty() && request.routes.empty()) return ok();
  auto socket = KATA_TRY(route_socket());
  for (const auto& interface : request.interfaces) KATA_TRY(configure_interface(socket.get(), interface, device_wait));
  for (const auto& route : request.routes) KATA_TRY(add_route(socket.get(), route));
  return ok();
}

Result<void> configure_network_in(const agent_client::ConfigureNetwork& request, int netns_fd,
                                  std::chrono::milliseconds device_wait) {
  {
    auto socket = KATA_TRY(route_socket());
    for (const auto& interface : request.interfaces) {
      auto link = KATA_TRY(find_by_mac(socket.get(), current_mac(interface), device_wait));
      NlObject<rtnl_link> move(rtnl_link_alloc());
      if (!move) return make_error(ErrorKind::system, "netlink: out of memory");
      rtnl_link_set_ns_fd(move.get(), netns_fd);
      KATA_TRY(change_link(socket.get(), link.get(), move.get(),
                           "move " + interface.mac + " into the container's network namespace"));
    }
  }
  // The socket the work there uses must be made there too: a netlink
  // socket talks to the namespace it was created in.
  Result<void> result = ok();
  try {
    std::thread worker([&] {
      if (::setns(netns_fd, CLONE_NEWNET) != 0) {
        result = sys_error(errno, "enter the container's network namespace");
        return;
      }
      result = configure_network(request, device_wait);
    });
    worker.join();
  } catch (const std::system_error& failed) {  // the agent is PID 1: nothing may escape
    return make_error(ErrorKind::system, "start a thread for the container's network namespace: {}", failed.what());
  }
  return result;
}

}  // namespace kata::agent
