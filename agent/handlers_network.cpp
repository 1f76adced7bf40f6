// Server handler for the guest network (tcfilter model, see network.hpp).

#include "agent/network.hpp"
#include "agent/server.hpp"

namespace kata::agent {

namespace {

// Devices are probed while the host is still dialling the agent, so they are
// normally there already; under TCG the probe can lag a little.
constexpr std::chrono::seconds kDeviceWait{10};

}  // namespace

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_client::ConfigureNetwork& request) {
  auto configured = configure_network(request, kDeviceWait);
  if (!configured) return Result<nlohmann::json>(configured.error());
  return Result<nlohmann::json>(agent_client::Empty{}.to_json());
}

}  // namespace kata::agent
