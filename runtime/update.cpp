// `kata update`: new cgroup limits for the container, applied by the agent in
// the guest, then to the sandbox's host cgroup (CPU, cpuset, pids; the host
// memory limit is the VM's size, which does not change). The VM itself keeps
// the size it booted with: a memory limit above the VM's memory is accepted
// by the guest cgroup but cannot be reached.
#include "runtime/container_control.hpp"
#include "runtime/container_id.hpp"
#include "runtime/container_state.hpp"
#include "runtime/host_cgroup.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/verb_rules.hpp"

namespace kata::runtime {

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

enum class Kind { integer, unsigned_integer, string, boolean, object, array };

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::integer: return "an integer";
    case Kind::unsigned_integer: return "a non-negative integer";
    case Kind::string: return "a string";
    case Kind::boolean: return "a boolean";
    case Kind::object: return "an object";
    case Kind::array: return "an array";
  }
  return "?";
}

bool has_kind(const json& value, Kind kind) {
  switch (kind) {
    case Kind::integer: return value.is_number_integer();
    case Kind::unsigned_integer:
      return value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
    case Kind::string: return value.is_string();
    case Kind::boolean: return value.is_boolean();
    case Kind::object: return value.is_object();
    case Kind::array: return value.is_array();
  }
  return false;
}

// Checks the members of `object` listed in `members` (absent ones pass).
Result<void> check_members(const json& object, std::string_view path,
                           std::initializer_list<std::pair<const char*, Kind>> members) {
  for (const auto& [name, kind] : members) {
    auto found = object.find(name);
    if (found == object.end() || found->is_null()) continue;
    if (!has_kind(*found, kind))
      return make_error(ErrorKind::invalid_argument, "{}{}{}: expected {}, got {}", path, path.empty() ? "" : ".",
                        name, kind_name(kind), found->dump());
  }
  return ok();
}

}  // namespace

Result<void> validate_resources(const json& resources) {
  if (!resources.is_object())
    return make_error(ErrorKind::invalid_argument, "resources: expected a JSON object (linux.resources), got {}",
                      resources.dump().substr(0, 80));
  KATA_TRY(check_members(resources, "", {{"memory", Kind::object}, {"cpu", Kind::object}, {"pids", Kind::object},
                                         {"blockIO", Kind::object}, {"hugepageLimits", Kind::array},
                                         {"unified", Kind::object}, {"devices", Kind::array},
                                         {"network", Kind::object}, {"rdma", Kind::object}}));
  if (auto memory = resources.find("memory"); memory != resources.end() && memory->is_object())
    KATA_TRY(check_members(*memory, "memory",
                           {{"limit", Kind::integer}, {"reservation", Kind::integer}, {"swap", Kind::integer},
                            {"kernel", Kind::integer}, {"kernelTCP", Kind::integer},
                            {"swappiness", Kind::unsigned_integer}, {"disableOOMKiller", Kind::boolean},
                            {"useHierarchy", Kind::boolean}, {"checkBeforeUpdate", Kind::boolean}}));
  if (auto cpu = resources.find("cpu"); cpu != resources.end() && cpu->is_object())
    KATA_TRY(check_members(*cpu, "cpu",
                           {{"shares", Kind::unsigned_integer}, {"quota", Kind::integer},
                            {"burst", Kind::unsigned_integer}, {"period", Kind::unsigned_integer},
                            {"realtimeRuntime", Kind::integer}, {"realtimePeriod", Kind::unsigned_integer},
                            {"cpus", Kind::string}, {"mems", Kind::string}, {"idle", Kind::integer}}));
  if (auto pids = resources.find("pids"); pids != resources.end() && pids->is_object())
    KATA_TRY(check_members(*pids, "pids", {{"limit", Kind::integer}}));
  if (auto block_io = resources.find("blockIO"); block_io != resources.end() && block_io->is_object())
    KATA_TRY(check_members(*block_io, "blockIO",
                           {{"weight", Kind::unsigned_integer}, {"leafWeight", Kind::unsigned_integer}}));
  if (auto unified = resources.find("unified"); unified != resources.end() && unified->is_object()) {
    for (const auto& [key, value] : unified->items())
      if (!value.is_string())
        return make_error(ErrorKind::invalid_argument, "unified.{}: expected a string, got {}", key, value.dump());
  }
  if (auto limits = resources.find("hugepageLimits"); limits != resources.end() && limits->is_array()) {
    for (std::size_t i = 0; i < limits->size(); ++i) {
      const auto& entry = (*limits)[i];
      std::string path = "hugepageLimits[" + std::to_string(i) + "]";
      if (!entry.is_object()) return make_error(ErrorKind::invalid_argument, "{}: expected an object", path);
      KATA_TRY(check_members(entry, path, {{"pageSize", Kind::string}, {"limit", Kind::unsigned_integer}}));
    }
  }
  return ok();
}

Result<void> update_container(StateStore& store, std::string_view id, const json& resources) {
  KATA_TRY(validate_container_id(id));
  KATA_TRY(validate_resources(resources));
  // The lock keeps update from racing pause/resume and delete; the limits
  // themselves live in the guest, not in state.json.
  auto lock = KATA_TRY(store.lock(id));
  auto record = KATA_TRY(store.load(id));
  KATA_TRY(check_verb_allowed(LifecycleVerb::update, refresh_status(record).status, id));
  std::string socket = record.monitor_socket.value_or(lock.dir() + "/" + monitor_socket_name);
  auto sent = send_monitor_command(socket, UpdateCommand{resources}, 30s);
  if (!sent) {
    if (!process_alive(record)) return make_error(ErrorKind::wrong_state, "container not running");
    return std::move(sent).error().wrap("update");
  }
  // A member's host cgroup holds only its stand-in: its limits are the guest's.
  if (record.host_cgroup && !is_pod_member(record))
    KATA_TRY(update_host_cgroup(*record.host_cgroup, host_limits_from_json(resources)).wrap("update the host cgroup"));
  return ok();
}

}  // namespace kata::runtime
