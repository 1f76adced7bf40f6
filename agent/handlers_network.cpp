// Server handler for the guest network (tcfilter model, see network.hpp).

#include <fcntl.h>

#include "agent/network.hpp"
#include "agent/server.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {

namespace {

// Devices are probed while the host is still dialling the agent, so they are
// normally there already; under TCG the probe can lag a little.
constexpr std::chrono::seconds kDeviceWait{10};

}  // namespace

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_client::ConfigureNetwork& request) {
  if (!request.container_id.empty()) {
    auto container = find_container(request.container_id);
    if (!container) return Result<nlohmann::json>(container.error());
    std::string path = "/proc/" + std::to_string((*container)->init().pid) + "/ns/net";
    UniqueFd netns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns) return Result<nlohmann::json>(sys_error(errno, "open {}", path));
    auto moved = configure_network_in(request, netns.get(), kDeviceWait);
    if (!moved) return Result<nlohmann::json>(moved.error());
    return Result<nlohmann::json>(agent_client::Empty{}.to_json());
  }
  auto configured = configure_network(request, kDeviceWait);
  if (!configured) return Result<nlohmann::json>(configured.error());
  return Result<nlohmann::json>(agent_client::Empty{}.to_json());
}

}  // namespace kata::agent
