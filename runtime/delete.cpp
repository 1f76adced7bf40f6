#include "oci/spec.hpp"
#include "runtime/container_id.hpp"
#include "runtime/create_member.hpp"
#include "runtime/hooks.hpp"
#include "runtime/host_cgroup.hpp"
#include "runtime/container_state.hpp"
#include "runtime/leftover_processes.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/network/tcfilter.hpp"
#include "runtime/share_dir.hpp"
#include "runtime/verb_rules.hpp"

namespace kata::runtime {

using namespace std::chrono_literals;

Result<void> delete_container(StateStore& store, std::string_view id, bool force) {
  KATA_TRY(validate_container_id(id));
  auto lock = KATA_TRY(store.lock(id));
  auto record = store.load(id);
  if (record) {
    auto current = refresh_status(*record);
    KATA_TRY(check_verb_allowed(force ? LifecycleVerb::delete_force : LifecycleVerb::delete_plain, current.status,
                                id));
    if (is_pod_member(*record)) {
      // The monitor is the sandbox's: the member leaves its VM, the VM stays.
      KATA_TRY(remove_pod_member(store, *record));
    } else {
      // Even a stopped container's monitor may still be tearing its VM down.
      KATA_TRY(kill_and_wait(record->monitor_pid, record->monitor_start_time, 10s).wrap("kill the sandbox monitor"));
    }
    // The stand-in ends with the monitor; a record from before it existed
    // names the monitor as the container's pid.
    if (record->pid > 0 && record->pid != record->monitor_pid)
      KATA_TRY(kill_and_wait(record->pid, record->pid_start_time, 10s).wrap("kill the container's stand-in"));
  } else if (record.error().kind != ErrorKind::not_found) {
    return std::move(record).error();
  }
  // No state.json under the lock: a create that died half way; clean up what it left.
  KATA_TRY(kill_processes_naming(lock.dir(), 10s).wrap("kill the VM"));
  // A record without the namespace's identity cannot prove which namespace
  // its path names now: nothing is touched there (the taps went with QEMU).
  if (record && record->netns_path && record->netns_id)
    KATA_TRY(network::teardown_tcfilter_network(*record->netns_path, *record->netns_id, record->taps)
                 .wrap("tear down the network"));
  KATA_TRY(unmount_below(lock.dir()).wrap("unmount the share"));
  // Only the directories create made; the engine's parents stay.
  if (record && record->host_cgroup) KATA_TRY(remove_host_cgroup(*record->host_cgroup));
  KATA_TRY(store.remove(lock));
  if (record) {
    // poststop runs once the container is gone; failures are warnings.
    auto stopped = *record;
    stopped.status = oci::Status::stopped;
    stopped.pid = 0;
    if (auto spec = oci::load_bundle_spec(record->bundle); spec && spec->hooks)
      run_hooks_warn(spec->hooks->poststop, "poststop", oci::to_json(to_oci_state(stopped)).dump());
  }
  return ok();
}

}  // namespace kata::runtime
