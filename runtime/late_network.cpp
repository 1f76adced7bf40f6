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
  auto prepared = KATA_TRY(network::prepare_tcfilter_network(netns_path));
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
