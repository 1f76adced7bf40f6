#pragma once
// Kata's tcfilter model: inside the container's network namespace, each
// interface with addresses gets a tap next to it; ingress qdiscs on both and
// a tc mirred "egress redirect" filter on each send everything arriving on
// the interface out of the tap (to QEMU, hence the guest) and everything
// the guest sends out of the interface. The guest's virtio-net device
// carries the interface's MAC, MTU, addresses and routes, so the engine's
// network (bridge, CNI plugin) sees the same interface it configured.

#include <string>
#include <vector>

#include "agent-client/messages.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "hypervisor/qemu/qemu_config.hpp"
#include "runtime/container_record.hpp"
#include "runtime/network/netns.hpp"

namespace kata::runtime::network {

/// One carried interface: the tap kata created and the fd QEMU gets.
struct CarriedInterface {
  TapLink link;   ///< host interface and tap names, as recorded for teardown
  std::string mac;
  UniqueFd tap_fd;  ///< opened IFF_TAP|IFF_NO_PI|IFF_VNET_HDR (QEMU: vnet_hdr=on); close-on-exec
};

/// What prepare_tcfilter_network set up; the caller tears it down with
/// teardown_tcfilter_network on failure and on delete.
struct PreparedNetwork {
  std::string netns_path;
  NamespaceId netns_id;  ///< the namespace netns_path named when it was prepared
  std::vector<CarriedInterface> interfaces;
  agent_client::ConfigureNetwork guest;  ///< the agent's request

  /// The recorded part (what teardown needs).
  std::vector<TapLink> links() const;
  /// QEMU's net devices; `host_fd` refers to the tap fds above (the process
  /// that spawns QEMU must still have them open).
  std::vector<hypervisor::qemu::NetDevice> devices() const;
};

/// Opens `netns_path` (refusing kata's own namespace: the host's network,
/// see open_container_netns), enters it, carries every interface with addresses (see
/// plan_network) through taps and tc filters, and returns to kata's own
/// namespace. A failure half way removes what it created.
Result<PreparedNetwork> prepare_tcfilter_network(const std::string& netns_path);

/// Enters `netns_path` only if it still names the namespace `netns_id`, and
/// removes the taps and the ingress qdiscs (with their filters) that
/// prepare_tcfilter_network created there. Idempotent: links already gone
/// are fine, and a namespace that no longer exists (or that the path no
/// longer names) means there is nothing to do.
Result<void> teardown_tcfilter_network(const std::string& netns_path, const NamespaceId& netns_id,
                                       const std::vector<TapLink>& links);

}  // namespace kata::runtime::network
