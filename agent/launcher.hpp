#pragma once
// How the server starts processes. An interface so that unit tests can run
// the whole server (dispatch, stdio relay, exits) with plain child processes
// and no root, while the agent uses the container library.

#include <sys/types.h>

#include <string>

#include "agent/container/container.hpp"
#include "common/error.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// Starts container inits and exec'd processes.
class Launcher {
 public:
  virtual ~Launcher() = default;
  /// Creates the container's init, stopped at its start barrier, born in
  /// `cgroup_dir` (the container's cgroup; empty: none).
  virtual Result<CreatedInit> create_init(const std::string& container_id, const oci::Spec& spec,
                                          const ProcessStdio& stdio, bool terminal,
                                          const std::string& cgroup_dir) = 0;
  /// Starts `process` in the container whose init is `init_pid`, born in
  /// `cgroup_dir` (empty: none); returns once it exec'd.
  virtual Result<pid_t> exec(pid_t init_pid, const oci::Spec& container_spec, const oci::Process& process,
                             const ProcessStdio& stdio, bool terminal, const std::string& cgroup_dir) = 0;
};

/// The agent's launcher: create_container_init and exec_in_container.
class ContainerLauncher final : public Launcher {
 public:
  Result<CreatedInit> create_init(const std::string& container_id, const oci::Spec& spec,
                                  const ProcessStdio& stdio, bool terminal, const std::string& cgroup_dir) override {
    return create_container_init(container_id, spec, stdio, terminal, cgroup_dir);
  }
  Result<pid_t> exec(pid_t init_pid, const oci::Spec& container_spec, const oci::Process& process,
                     const ProcessStdio& stdio, bool terminal, const std::string& cgroup_dir) override {
    return exec_in_container(init_pid, container_spec, process, stdio, terminal, cgroup_dir);
  }
};

}  // namespace kata::agent
