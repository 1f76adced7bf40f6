// Server handlers backed by the container's cgroup: pause, resume, update
// and stats.

#include "agent/server.hpp"

namespace kata::agent {

namespace agent_msg = agent_client;

using JsonResult = Result<nlohmann::json>;

Result<void> Server::require_cgroup(const ManagedContainer& container, const std::string& container_id) const {
  if (!container.has_cgroup) {
    return make_error(ErrorKind::unsupported, "container {} has no cgroup (cgroup v2 not available)", container_id);
  }
  return ok();
}

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::PauseContainer& request) {
  auto container = find_container(request.container_id);
  if (!container) return JsonResult(container.error());
  auto done = require_cgroup(**container, request.container_id);
  if (done) done = cgroups_->freeze(request.container_id, true);
  if (!done) return JsonResult(done.error());
  (*container)->frozen = true;
  return JsonResult(agent_msg::Empty{}.to_json());
}

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::ResumeContainer& request) {
  auto container = find_container(request.container_id);
  if (!container) return JsonResult(container.error());
  auto done = require_cgroup(**container, request.container_id);
  if (done) done = cgroups_->freeze(request.container_id, false);
  if (!done) return JsonResult(done.error());
  (*container)->frozen = false;
  return JsonResult(agent_msg::Empty{}.to_json());
}

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::UpdateContainer& request) {
  auto container = find_container(request.container_id);
  if (!container) return JsonResult(container.error());
  auto done = require_cgroup(**container, request.container_id);
  if (done) done = cgroups_->update(request.container_id, request.resources);
  if (!done) return JsonResult(done.error());
  return JsonResult(agent_msg::Empty{}.to_json());
}

Server::Reply Server::handle(std::uint32_t /*id*/, const agent_msg::StatsContainer& request) {
  auto container = find_container(request.container_id);
  if (!container) return JsonResult(container.error());
  auto has = require_cgroup(**container, request.container_id);
  if (!has) return JsonResult(has.error());
  auto stats = cgroups_->stats(request.container_id);
  if (!stats) return JsonResult(stats.error());
  agent_msg::ContainerStats reply;
  reply.memory.usage_bytes = stats->memory_current;
  reply.memory.limit_bytes = stats->memory_max;
  reply.cpu.usage_ns = stats->cpu_usage_usec * 1000;
  reply.cpu.user_ns = stats->cpu_user_usec * 1000;
  reply.cpu.system_ns = stats->cpu_system_usec * 1000;
  reply.pids.current = stats->pids_current;
  reply.pids.limit = stats->pids_max;
  return JsonResult(reply.to_json());
}

}  // namespace kata::agent
