#pragma once
// The lifecycle verbs: create, start, kill, delete. Each takes the state
// store and does the whole verb; cmd/ only parses flags and reports errors.

#include <chrono>
#include <string>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "runtime/configuration.hpp"
#include "runtime/state_store.hpp"

namespace kata::runtime {

/// Inputs of `create` (and of the create half of `run`).
struct CreateParams {
  std::string id;
  std::string bundle;       ///< -b; empty: the current directory
  std::string pid_file;     ///< --pid-file; empty: none
  std::string console_socket;  ///< --console-socket: receives the pty master
  bool detached = true;        ///< false for a foreground run, which proxies a terminal itself
  unsigned preserve_fds = 0;
  bool systemd_cgroup = false;  ///< --systemd-cgroup: cgroupsPath is "slice:prefix:name"
  Configuration config;
};

/// Validates everything, reserves the container, bind-mounts its rootfs and
/// bind sources into the share dir, forks the sandbox monitor (which boots
/// the VM and creates the container at its start barrier), saves state.json
/// (status created, pid = monitor) and writes the pid file last. Any failure
/// leaves nothing behind: no monitor, VM, mount or state dir. Returns the
/// monitor, a child of this process: release() it to leave it running
/// (create), or wait() for it (run in the foreground).
Result<ChildProcess> create_container(StateStore& store, const CreateParams& params);

/// Releases the start barrier of a created container; status becomes running.
Result<void> start_container(StateStore& store, std::string_view id);

/// Sends `signal` to the container's init (or all its processes) through
/// its monitor. "container not running" unless created, running or paused.
Result<void> kill_container(StateStore& store, std::string_view id, int signal, bool all);

/// Deletes a stopped or created container (and, with `force`, a running or
/// paused one, with SIGKILL): kills what is left of its monitor and VM,
/// unmounts its share, removes its state dir. not_found "container does not
/// exist" when there is none.
Result<void> delete_container(StateStore& store, std::string_view id, bool force);

}  // namespace kata::runtime
