#pragma once
// Creating a container inside the guest, the way runc does it: the agent's two
// entry points. Policy (which step, in which order) lives in init.cpp and
// exec.cpp; the Linux primitives they use live in namespaces.cpp, rootfs.cpp,
// process_setup.cpp and capabilities.cpp; seccomp/ compiles and loads filters.
//
// Threading: both calls fork and then run the child's setup steps between fork
// and execve. The agent is single-threaded, so the child may allocate (no lock
// can be held by another thread); callers must not use these from a
// multi-threaded process.

#include <sys/types.h>

#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// fds for the child's 0, 1, 2 (for a terminal: the pty slave three times;
/// an init uses it only when its container has no devpts of its own); the
/// caller keeps ownership.
struct ProcessStdio {
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
};

/// A container init waiting at its start barrier: write one byte to
/// start_barrier (then close it) to let the init exec, then
/// wait_for_init_exec(exec_report) to learn that it did. Closing the barrier
/// without writing makes the init exit without running the container's
/// process. The caller owns (and must reap) `pid`.
struct CreatedInit {
  pid_t pid;
  UniqueFd start_barrier;
  UniqueFd exec_report;  ///< the init's close-on-exec report pipe, read end
  /// Terminal only: the master of the init's pty, allocated in the
  /// container's devpts; empty when the container has none and the init
  /// kept the pty it was given.
  UniqueFd console_master;
};

/// Forks the container's init with namespaces, mounts, pivot_root, users,
/// capabilities, seccomp... as the spec says; returns when it waits at the
/// start barrier. `pid` is the init as seen from the caller's pid namespace.
/// A non-empty `cgroup_dir` (a cgroup v2 directory) is the init's cgroup
/// from birth; the init always gets a cgroup namespace of its own rooted at
/// the cgroup it is born in (unless the spec joins one), so a cgroup2 mount
/// of the spec shows that cgroup as its root. With a new user namespace the
/// mount points are created first and the rlimits applied last by the
/// caller, as the real root (mount_targets.hpp and apply_limits say why).
/// Errors name the failing step ("create container: mount proc on /proc:
/// Operation not permitted"); on error nothing is left running.
Result<CreatedInit> create_container_init(const std::string& container_id, const oci::Spec& spec,
                                          const ProcessStdio& stdio, bool terminal,
                                          const std::string& cgroup_dir = {});

/// After the start barrier: blocks until the init has exec'd the container's
/// process (end-of-file on `exec_report`) or returns the error its execve
/// failed with (the init then exits 127). Runs as long as the init's last
/// steps: only execve and what no_new_privs leaves before it.
Result<void> wait_for_init_exec(int exec_report);

/// Starts `process` inside the namespaces of the running container whose init
/// is `init_pid` (setns), with the process's user, capabilities, rlimits,
/// seccomp of the spec, cwd and env; returns its pid once it has exec'd (or an
/// error naming the step: exec errors such as ENOENT come back here). A
/// non-empty `cgroup_dir` is the process's cgroup from birth. The caller
/// owns (and must reap) the pid.
Result<pid_t> exec_in_container(pid_t init_pid, const oci::Spec& container_spec,
                                const oci::Process& process, const ProcessStdio& stdio,
                                bool terminal, const std::string& cgroup_dir = {});

}  // namespace kata::agent
