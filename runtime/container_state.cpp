#include "runtime/container_state.hpp"

#include "runtime/container_id.hpp"
#include "runtime/proc_stat.hpp"

namespace kata::runtime {

bool process_alive(const ContainerRecord& record) {
  if (record.pid <= 0) return false;
  auto start_time = process_start_time(record.pid);
  if (!start_time) return false;
  // Without a recorded start time the pid alone has to do.
  if (record.pid_start_time && *record.pid_start_time != *start_time) return false;
  // A zombie has exited: its reaper (conmon, a shim, init) just has not
  // collected it yet, and no command can reach it any more.
  return !process_exited_unreaped(record.pid);
}

ContainerRecord refresh_status(ContainerRecord record) {
  bool live_status = record.status == oci::Status::created || record.status == oci::Status::running ||
                     record.status == oci::Status::paused;
  if (live_status && !process_alive(record)) record.status = oci::Status::stopped;
  if (record.status == oci::Status::stopped) record.pid = 0;
  return record;
}

Result<oci::State> container_state(const StateStore& store, std::string_view id) {
  KATA_TRY(validate_container_id(id));
  auto record = KATA_TRY(store.load(id));
  return to_oci_state(refresh_status(std::move(record)));
}

Result<std::vector<oci::State>> list_containers(const StateStore& store) {
  std::vector<oci::State> states;
  for (const auto& id : KATA_TRY(store.list_ids())) {
    auto record = store.load(id);
    if (!record) {
      if (record.error().kind == ErrorKind::not_found) continue;  // being created or removed right now
      return std::move(record).error();
    }
    states.push_back(to_oci_state(refresh_status(std::move(record).value())));
  }
  return states;
}

}  // namespace kata::runtime
