#include "runtime/late_network.hpp"

#include <fmt/format.h>

#include <chrono>
#include <vector>

#include "runtime/monitor_control.hpp"
#include "runtime/network/tcfilter.hpp"

namespace kata::runtime {

using namespace std::chrono_literals;

Result<void> carry_late_network(const ContainerRecord& record, const std::string& monitor_socket) {
  std::string netns_path = fmt::format("/proc/{}/ns/net", record.pid);
  if (!record.netns_id)
    return make_error(ErrorKind::internal, "container {}: no network namespace recorded at create", record.id);
  // Only the namespace kata made for the stand-in: checked before anything
  // is added, and again on the one prepare entered.
  auto named = KATA_TRY(network::namespace_id_of(netns_path));
  if (named != *record.netns_id)
    return make_error(ErrorKind::wrong_state, "{} is no longer container {}'s network namespace", netns_path,
                      record.id);
  auto prepared = KATA_TRY(network::prepare_tcfilter_network(netns_path));
  if (prepared.netns_id != *record.netns_id) {
    (void)network::teardown_tcfilter_network(netns_path, prepared.netns_id, prepared.links());
    return make_error(ErrorKind::wrong_state, "{} is no longer container {}'s network namespace", netns_path,
                      record.id);
  }
  if (prepared.interfaces.empty()) return ok();
  std::vector<int> taps;
  for (const auto& interface : prepared.interfaces) taps.push_back(interface.tap_fd.get());
  // The agent waits up to 10 s for each hot-plugged NIC to appear.
  auto plugged = send_monitor_request(monitor_socket, PlugNetworkCommand{prepared.guest.to_json()}, taps, 90s);
  if (!plugged) {
    (void)network::teardown_tcfilter_network(netns_path, prepared.netns_id, prepared.links());
    return std::move(plugged).error();
  }
  return ok();
}

}  // namespace kata::runtime
