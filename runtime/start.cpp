#include "oci/spec.hpp"
#include "runtime/container_id.hpp"
#include "runtime/hooks.hpp"
#include "runtime/container_state.hpp"
#include "runtime/late_network.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/verb_rules.hpp"

namespace kata::runtime {

using namespace std::chrono_literals;

Result<void> start_container(StateStore& store, std::string_view id) {
  KATA_TRY(validate_container_id(id));
  auto lock = KATA_TRY(store.lock(id));
  auto record = KATA_TRY(store.load(id));
  auto current = refresh_status(record);
  KATA_TRY(check_verb_allowed(LifecycleVerb::start, current.status, id));
  std::string socket = record.monitor_socket.value_or(lock.dir() + "/" + monitor_socket_name);
  if (record.late_network && !record.late_network_carried) {
    KATA_TRY(carry_late_network(record, socket).wrap("carry the network set up after create into the VM"));
    record.late_network_carried = true;
    KATA_TRY(store.save(lock, record).wrap("save state"));
  }
  KATA_TRY(send_monitor_command(socket, StartCommand{}, 90s).wrap("start"));
  record.status = oci::Status::running;
  KATA_TRY(store.save(lock, record).wrap("save state"));
  // poststart failures are warnings (runtime-spec); the bundle is re-read
  // because the record keeps no spec.
  if (auto spec = oci::load_bundle_spec(record.bundle); spec && spec->hooks)
    run_hooks_warn(spec->hooks->poststart, "poststart", oci::to_json(to_oci_state(record)).dump());
  return ok();
}

}  // namespace kata::runtime
