#pragma once
// `kata exec`: a new process in a container's VM. The process's stdio fds
// (or its terminal) are handed to the sandbox monitor, which relays them to
// the guest, so the process keeps its output after `kata exec -d` exits.

#include <string>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "runtime/state_store.hpp"

namespace kata::runtime {

/// Inputs of exec; `process` from load_exec_process_file or
/// exec_process_from_flags.
struct ExecParams {
  std::string id;
  nlohmann::json process;
  std::string console_socket;  ///< receives the pty master when process.terminal
  bool detach = false;
  std::string pid_file;        ///< with detach: the pid of the process's host stand-in
  bool ignore_paused = false;
};

/// Starts the process. In the foreground, relays until it exits and returns
/// its status (128+signal when killed), forwarding the signals this process
/// gets. With `detach`, forks a host stand-in that lives exactly as long as
/// the guest process and exits with its status (engines reap it), writes its
/// pid to the pid file, and returns 0. Errors before the process runs are
/// errors (exec exits 255 for them).
Result<int> exec_in_container(StateStore& store, const ExecParams& params);

/// The process object of container `id` kept at create (for exec's flags).
Result<nlohmann::json> container_process(const StateStore& store, std::string_view id);

}  // namespace kata::runtime
