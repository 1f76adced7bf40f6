#pragma once
// The agent's view of the container library (agent/container/, written
// separately): create a container's init stopped at its start barrier, and
// exec extra processes in a running container. When that library is built
// (CMake defines KATA_HAVE_CONTAINER_LIB=1) its header is the contract;
// otherwise a minimal fallback with the same declarations is compiled from
// fallback_container.cpp so the server can be exercised before it lands.

#if KATA_HAVE_CONTAINER_LIB

#include "agent/container/container.hpp"  // IWYU pragma: export

#else

#include <sys/types.h>

#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// fds for the child's 0, 1, 2 (for a terminal: the pty slave three times);
/// the caller keeps ownership.
struct ProcessStdio {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

/// A container init waiting at its start barrier.
struct CreatedInit {
  pid_t pid = -1;
  UniqueFd start_barrier;  ///< write one byte (then close) to let the init exec
};

/// FALLBACK (no namespaces, no security setup): forks, chroots into
/// root.path, waits at the barrier, then execs process.args with env and cwd.
Result<CreatedInit> create_container_init(const std::string& container_id, const oci::Spec& spec,
                                          const ProcessStdio& stdio, bool terminal);

/// FALLBACK: forks, chroots into /proc/<init_pid>/root, execs `process`;
/// returns once exec succeeded, or the exec error.
Result<pid_t> exec_in_container(pid_t init_pid, const oci::Spec& container_spec, const oci::Process& process,
                                const ProcessStdio& stdio, bool terminal);

}  // namespace kata::agent

#endif
