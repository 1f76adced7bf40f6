// `kata ps`: the container's processes as the agent lists them. No lock, like
// kill: listing must work while another verb holds it.
#include "runtime/container_control.hpp"
#include "runtime/container_id.hpp"
#include "runtime/container_state.hpp"
#include "runtime/monitor_control.hpp"
#include "runtime/verb_rules.hpp"

namespace kata::runtime {

using namespace std::chrono_literals;

Result<std::vector<std::int64_t>> list_container_processes(StateStore& store, std::string_view id) {
  KATA_TRY(validate_container_id(id));
  auto record = KATA_TRY(store.load(id));
  KATA_TRY(check_verb_allowed(LifecycleVerb::ps, refresh_status(record).status, id));
  std::string socket = record.monitor_socket.value_or(store.container_dir(id) + "/" + monitor_socket_name);
  auto reply = send_monitor_request(socket, PsCommand{}, 30s);
  if (!reply) {
    if (!process_alive(record)) return make_error(ErrorKind::wrong_state, "container not running");
    return std::move(reply).error().wrap("ps");
  }
  return pids_from_reply(*reply);
}

}  // namespace kata::runtime
