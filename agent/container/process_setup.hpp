#pragma once
// The per-process part of starting a container process, shared by the init
// and exec'd processes: stdio, limits, identity, capabilities, seccomp, cwd,
// environment and the executable lookup. plan_process runs in the agent
// before fork (every user mistake is found there); the rest runs in the child.

#include <sys/resource.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "agent/container/capabilities.hpp"
#include "agent/container/container.hpp"
#include "seccomp/program.hpp"
#include "common/error.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// One process.rlimits entry resolved to its RLIMIT_* number.
struct ResolvedRlimit {
  int resource = 0;
  rlimit limit{};
  std::string name;
};

/// Everything the child needs about its process, resolved before fork.
struct ProcessPlan {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
  mode_t umask = 022;
  std::vector<ResolvedRlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  CapabilityPlan capabilities;
  seccomp::Program seccomp;
};

/// Resolves `process` (args, user, rlimits, capabilities) and the seccomp
/// profile of `container_spec`. Errors are the caller's mistakes
/// (invalid_argument) or unsupported features.
Result<ProcessPlan> plan_process(const oci::Process& process, const oci::Spec& container_spec);

/// Child side: puts the stdio fds on 0, 1, 2 (-1 means /dev/null), starts a
/// new session and, for a terminal, makes fd 0 the controlling terminal.
Result<void> setup_stdio(const ProcessStdio& stdio, bool terminal);

/// oom_score_adj and rlimits of process `pid` (0: the caller), by a caller
/// with CAP_SYS_RESOURCE in the initial user namespace: raising a hard
/// limit or lowering oom_score_adj needs it there, so a child already in a
/// new user namespace gets them from its parent (prlimit), as runc's does.
Result<void> apply_limits(const ProcessPlan& plan, pid_t pid = 0);

/// What execve gets, built before the seccomp filter so that nothing under
/// it allocates or reads files: the executable's path and argv/envp, which
/// point into the plan's args and env (the plan must outlive the image).
struct ExecImage {
  std::string path;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

/// Child side, after setup_stdio, the rootfs and apply_limits: every step up
/// to execve, in runc's order. Signals are unblocked and reset and fds above
/// 2 marked close-on-exec first (profiles need not allow close_range). The
/// seccomp filter comes next without no_new_privs (loading it then needs
/// CAP_SYS_ADMIN, which the identity change drops; such profiles must allow
/// the calls below, as runc's must), then the bounding set, uid/gid/groups
/// under PR_SET_KEEPCAPS, the capability sets, umask, cwd, no_new_privs, and
/// the executable's lookup in the process's PATH as the user, like runc's
/// (a name with a '/' is used as it is) with HOME added from the
/// container's /etc/passwd when missing. With no_new_privs the filter waits
/// for exec_image.
Result<ExecImage> prepare_exec(ProcessPlan& plan);

/// Child side, the last step: loads the seccomp filter if no_new_privs
/// deferred it (so that it sees nothing but execve), then execve. Returns
/// only on failure.
Error exec_image(const ExecImage& image, const ProcessPlan& plan);

}  // namespace kata::agent
