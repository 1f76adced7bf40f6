// RestoreSandbox: a VM restored from a template becomes this sandbox's
// (restore.hpp), then mounts the share its template boot left unmounted.
#include "agent/console.hpp"
#include "agent/mounts.hpp"
#include "agent/restore.hpp"
#include "agent/server.hpp"

namespace kata::agent {

namespace agent_msg = agent_client;

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::RestoreSandbox& request) {
  auto entropy = decode_hex(request.entropy);
  if (!entropy) return Result<nlohmann::json>(std::move(entropy).error().wrap("restore_sandbox"));
  if (auto added = add_entropy("/dev/random", *entropy); !added)
    return Result<nlohmann::json>(std::move(added).error().wrap("restore_sandbox"));
  if (auto set = set_realtime(request.realtime_ns); !set)
    return Result<nlohmann::json>(std::move(set).error().wrap("restore_sandbox"));
  if (options_.share_mount.empty())
    return Result<nlohmann::json>(make_error(ErrorKind::wrong_state, "restore_sandbox: this agent has no share mount"));
  if (auto mounted = mount_9p_share(request.share_tag, options_.share_mount); !mounted)
    return Result<nlohmann::json>(std::move(mounted).error().wrap("restore_sandbox"));
  console_log("restored from a template: {} bytes of entropy, clock set, share {} mounted", entropy->size(),
              request.share_tag);
  return Result<nlohmann::json>(agent_msg::Empty{}.to_json());
}

}  // namespace kata::agent
