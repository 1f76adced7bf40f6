#include <thread>

#include "runtime/container_id.hpp"
#include "runtime/container_state.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/verb_rules.hpp"

namespace kata::runtime {

using namespace std::chrono_literals;

Result<void> kill_container(StateStore& store, std::string_view id, int signal, bool all) {
  KATA_TRY(validate_container_id(id));
  // No lock: kill must work while another verb (a long start, the monitor
  // recording an exit) holds it; the monitor serialises the commands.
  auto record = KATA_TRY(store.load(id));
  auto current = refresh_status(record);
  KATA_TRY(check_verb_allowed(LifecycleVerb::kill, current.status, id));
  std::string socket = record.monitor_socket.value_or(store.container_dir(id) + "/" + monitor_socket_name);
  auto sent = send_monitor_command(socket, KillCommand{signal, all}, 60s);
  if (sent) return sent;
  // A delete --force (or an exit) racing this kill ends the monitor while
  // we talk to it, which shows here as a reset connection a moment before
  // the process is gone: give it that moment, then say what happened.
  for (int i = 0; i < 20 && process_alive(record); ++i) std::this_thread::sleep_for(50ms);
  if (!process_alive(record)) return make_error(ErrorKind::wrong_state, "container not running");
  return sent;
}

}  // namespace kata::runtime
