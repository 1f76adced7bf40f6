#include "runtime/network/tcfilter.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/action.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>

#include "common/scope_exit.hpp"
#include "runtime/network/netlink.hpp"
#include "runtime/network/netns.hpp"
#include "runtime/network/netns_snapshot.hpp"

namespace kata::runtime::network {

namespace {

constexpr std::uint32_t kIngressHandle = TC_HANDLE(0xffffU, 0);

// Creates the tap `name` in the current namespace and returns its fd. The tap
// is not persistent: it disappears when the last fd (QEMU's) closes, so a
// crashed kata cannot leak it. IFF_VNET_HDR lets virtio-net carry checksum
// and segmentation offloads through (QEMU's `vnet_hdr=on`).
Result<UniqueFd> open_tap(const std::string& name) {
  UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
  if (!fd) return sys_error(errno, "open /dev/net/tun");
  ifreq request{};
  std::strncpy(request.ifr_name, name.c_str(), IFNAMSIZ - 1);
  request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  if (::ioctl(fd.get(), TUNSETIFF, &request) < 0) return sys_error(errno, "create tap {}", name);
  return fd;
}

Result<NlObject<rtnl_link>> get_link(nl_sock* socket, const std::string& name) {
  rtnl_link* raw = nullptr;
  if (int rc = rtnl_link_get_kernel(socket, 0, name.c_str(), &raw); rc < 0) return nl_failure(rc, "link " + name);
  return NlObject<rtnl_link>(raw);
}

// Sets the tap's MTU to the interface's and brings it up.
Result<void> bring_tap_up(nl_sock* socket, const std::string& name, unsigned mtu) {
  auto link = KATA_TRY(get_link(socket, name));
  NlObject<rtnl_link> change(rtnl_link_alloc());
  if (!change) return make_error(ErrorKind::system, "netlink: out of memory");
  rtnl_link_set_mtu(change.get(), mtu);
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int rc = rtnl_link_change(socket, link.get(), change.get(), 0); rc < 0)
    return nl_failure(rc, "bring up " + name);
  return ok();
}

Result<NlObject<rtnl_qdisc>> ingress_qdisc(int ifindex) {
  NlObject<rtnl_qdisc> qdisc(rtnl_qdisc_alloc());
  if (!qdisc) return make_error(ErrorKind::system, "netlink: out of memory");
  rtnl_tc_set_ifindex(TC_CAST(qdisc.get()), ifindex);
  rtnl_tc_set_parent(TC_CAST(qdisc.get()), TC_H_INGRESS);
  rtnl_tc_set_handle(TC_CAST(qdisc.get()), kIngressHandle);
  if (int rc = rtnl_tc_set_kind(TC_CAST(qdisc.get()), "ingress"); rc < 0) return nl_failure(rc, "ingress qdisc");
  return qdisc;
}

Result<void> add_ingress_qdisc(nl_sock* socket, int ifindex, const std::string& name) {
  auto qdisc = KATA_TRY(ingress_qdisc(ifindex));
  // EXCL: an ingress qdisc that is already there belongs to someone else,
  // and deleting it at teardown would break them.
  if (int rc = rtnl_qdisc_add(socket, qdisc.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0)
    return nl_failure(rc, "add ingress qdisc on " + name);
  return ok();
}

// Removes the ingress qdisc of `ifindex`, and with it every filter on it.
Result<void> delete_ingress_qdisc(nl_sock* socket, int ifindex, const std::string& name) {
  auto qdisc = KATA_TRY(ingress_qdisc(ifindex));
  int rc = rtnl_qdisc_delete(socket, qdisc.get());
  // EINVAL/ENOENT from the kernel: there is no ingress qdisc (any more).
  if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_INVAL && rc != -NLE_NODEV)
    return nl_failure(rc, "delete ingress qdisc of " + name);
  return ok();
}

// tc filter add dev <from> parent ffff: protocol all u32 match u32 0 0
//   action mirred egress redirect dev <to>
Result<void> add_redirect(nl_sock* socket, int from, const std::string& from_name, int to) {
  NlObject<rtnl_cls> filter(rtnl_cls_alloc());
  NlObject<rtnl_act> action(rtnl_act_alloc());
  if (!filter || !action) return make_error(ErrorKind::system, "netlink: out of memory");
  rtnl_tc_set_ifindex(TC_CAST(filter.get()), from);
  rtnl_tc_set_parent(TC_CAST(filter.get()), kIngressHandle);
  rtnl_cls_set_protocol(filter.get(), ETH_P_ALL);
  rtnl_cls_set_prio(filter.get(), 1);
  if (int rc = rtnl_tc_set_kind(TC_CAST(filter.get()), "u32"); rc < 0) return nl_failure(rc, "u32 filter");
  if (int rc = rtnl_u32_set_cls_terminal(filter.get()); rc < 0) return nl_failure(rc, "u32 filter");
  if (int rc = rtnl_u32_add_key_uint32(filter.get(), 0, 0, 0, 0); rc < 0) return nl_failure(rc, "u32 match all");
  if (int rc = rtnl_tc_set_kind(TC_CAST(action.get()), "mirred"); rc < 0) return nl_failure(rc, "mirred action");
  rtnl_mirred_set_action(action.get(), TCA_EGRESS_REDIR);
  rtnl_mirred_set_policy(action.get(), TC_ACT_STOLEN);
  rtnl_mirred_set_ifindex(action.get(), static_cast<std::uint32_t>(to));
  // The filter takes its own reference to the action.
  if (int rc = rtnl_u32_add_action(filter.get(), action.get()); rc < 0) return nl_failure(rc, "mirred action");
  if (int rc = rtnl_cls_add(socket, filter.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0)
    return nl_failure(rc, "add redirect filter on " + from_name);
  return ok();
}

Result<void> delete_link(nl_sock* socket, const std::string& name) {
  auto link = get_link(socket, name);
  if (!link) return link.error().kind == ErrorKind::not_found ? ok() : Result<void>(std::move(link).error());
  if (int rc = rtnl_link_delete(socket, link->get()); rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV)
    return nl_failure(rc, "delete " + name);
  return ok();
}

// Teardown of one carried interface, in the current namespace.
Result<void> remove_carried(nl_sock* socket, const TapLink& link) {
  Result<void> outcome = ok();
  // Deleting the tap also deletes its qdisc and filter.
  if (auto deleted = delete_link(socket, link.tap); !deleted) outcome = std::move(deleted);
  if (auto host = get_link(socket, link.host_interface)) {
    if (auto removed = delete_ingress_qdisc(socket, rtnl_link_get_ifindex(host->get()), link.host_interface);
        !removed && outcome)
      outcome = std::move(removed);
  } else if (host.error().kind != ErrorKind::not_found && outcome) {
    outcome = std::move(host).error();
  }
  return outcome;
}

// Creates the tap for `planned` and the filters both ways; on failure
// removes what it added (the caller removes earlier interfaces).
Result<CarriedInterface> carry(nl_sock* socket, const PlannedInterface& planned) {
  CarriedInterface carried{{planned.host_name, planned.tap_name}, planned.guest.mac, UniqueFd()};
  // Non-persistent: also gone once this fd is closed on failure.
  carried.tap_fd = KATA_TRY(open_tap(planned.tap_name));
  // Only what this call added: an ingress qdisc the interface already had
  // (the EXCL add fails on it) is someone else's and stays.
  bool host_qdisc_added = false;
  ScopeExit undo([&] {
    (void)delete_link(socket, planned.tap_name);  // its qdisc and filter go with it
    if (host_qdisc_added) (void)delete_ingress_qdisc(socket, planned.ifindex, planned.host_name);
  });
  KATA_TRY(bring_tap_up(socket, planned.tap_name, planned.guest.mtu));
  auto tap = KATA_TRY(get_link(socket, planned.tap_name));
  int tap_index = rtnl_link_get_ifindex(tap.get());
  KATA_TRY(add_ingress_qdisc(socket, tap_index, planned.tap_name));
  KATA_TRY(add_ingress_qdisc(socket, planned.ifindex, planned.host_name));
  host_qdisc_added = true;
  KATA_TRY(add_redirect(socket, planned.ifindex, planned.host_name, tap_index));
  KATA_TRY(add_redirect(socket, tap_index, planned.tap_name, planned.ifindex));
  undo.dismiss();
  return carried;
}

}  // namespace

std::vector<TapLink> PreparedNetwork::links() const {
  std::vector<TapLink> out;
  for (const auto& interface : interfaces) out.push_back(interface.link);
  return out;
}

std::vector<hypervisor::qemu::NetDevice> PreparedNetwork::devices() const {
  std::vector<hypervisor::qemu::NetDevice> out;
  for (std::size_t n = 0; n < interfaces.size(); ++n)
    out.push_back({"net" + std::to_string(n), interfaces[n].mac, interfaces[n].tap_fd.get()});
  return out;
}

Result<PreparedNetwork> prepare_tcfilter_network(const std::string& netns_path) {
  // The namespace proven to be the container's is the one entered: same fd.
  auto netns = KATA_TRY(open_container_netns(netns_path));
  auto netns_identity = KATA_TRY(namespace_id(netns.get(), netns_path));
  auto inside = KATA_TRY(NetnsEntry::enter(netns.get(), netns_path));
  auto socket = KATA_TRY(connect_route_socket());
  auto snapshot = KATA_TRY(read_netns_snapshot(socket.get()));
  auto plan = KATA_TRY(plan_network(snapshot));

  PreparedNetwork prepared;
  prepared.netns_path = netns_path;
  prepared.netns_id = netns_identity;
  prepared.guest = plan.guest;
  ScopeExit undo([&] {
    for (const auto& carried : prepared.interfaces) (void)remove_carried(socket.get(), carried.link);
  });
  for (const auto& planned : plan.interfaces) {
    auto carried = carry(socket.get(), planned);
    if (!carried) return std::move(carried).error().wrap(fmt::format("network namespace {}", netns_path));
    prepared.interfaces.push_back(std::move(*carried));
  }
  undo.dismiss();
  return prepared;
}

Result<void> teardown_tcfilter_network(const std::string& netns_path, const NamespaceId& netns_id,
                                       const std::vector<TapLink>& links) {
  if (links.empty()) return ok();
  auto netns = open_container_netns(netns_path);
  if (!netns) {
    // Gone, or the path now names a namespace kata must not touch.
    if (netns.error().kind == ErrorKind::not_found || netns.error().kind == ErrorKind::unsupported) return ok();
    return std::move(netns).error();
  }
  // The path names another namespace now (a /proc/<pid> path whose process
  // exited and whose pid was reused, a /run/netns name made anew): the one
  // kata changed is gone, and with it the taps and filters.
  if (KATA_TRY(namespace_id(netns->get(), netns_path)) != netns_id) return ok();
  auto inside = KATA_TRY(NetnsEntry::enter(netns->get(), netns_path));
  auto socket = KATA_TRY(connect_route_socket());
  Result<void> outcome = ok();
  for (const auto& link : links) {
    if (auto removed = remove_carried(socket.get(), link); !removed && outcome) outcome = std::move(removed);
  }
  return outcome;
}

}  // namespace kata::runtime::network
