// `kata pause` / `kata resume`: the monitor freezes or thaws the container's
// cgroup in the guest; the new status is saved under the container lock only
// after the monitor confirmed, so state.json never claims a freeze that did
// not happen.
#include "runtime/container_control.hpp"
#include "runtime/container_id.hpp"
#include "runtime/container_state.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/verb_rules.hpp"

namespace kata::runtime {

using namespace std::chrono_literals;

namespace {

Result<void> change_freeze(StateStore& store, std::string_view id, LifecycleVerb verb) {
  KATA_TRY(validate_container_id(id));
  auto lock = KATA_TRY(store.lock(id));
  auto record = KATA_TRY(store.load(id));
  auto current = refresh_status(record);
  KATA_TRY(check_verb_allowed(verb, current.status, id));
  std::string socket = record.monitor_socket.value_or(lock.dir() + "/" + monitor_socket_name);
  bool pausing = verb == LifecycleVerb::pause;
  MonitorCommand command = pausing ? MonitorCommand{PauseCommand{}} : MonitorCommand{ResumeCommand{}};
  auto sent = send_monitor_command(socket, command, 30s);
  if (!sent) {
    if (!process_alive(record)) return make_error(ErrorKind::wrong_state, "container not running");
    return std::move(sent).error().wrap(pausing ? "pause" : "resume");
  }
  record.status = pausing ? oci::Status::paused : oci::Status::running;
  return store.save(lock, record).wrap("save state");
}

}  // namespace

Result<void> pause_container(StateStore& store, std::string_view id) {
  return change_freeze(store, id, LifecycleVerb::pause);
}

Result<void> resume_container(StateStore& store, std::string_view id) {
  return change_freeze(store, id, LifecycleVerb::resume);
}

}  // namespace kata::runtime
