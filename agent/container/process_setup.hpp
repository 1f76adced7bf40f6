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
#include "agent/container/seccomp.hpp"
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
  SeccompProgram seccomp;
};

/// Resolves `process` (args, user, rlimits, capabilities) and the seccomp
/// profile of `container_spec`. Errors are the caller's mistakes
/// (invalid_argument) or unsupported features.
Result<ProcessPlan> plan_process(const oci::Process& process, const oci::Spec& container_spec);

/// Child side: puts the stdio fds on 0, 1, 2 (-1 means /dev/null), starts a
/// new session and, for a terminal, makes fd 0 the controlling terminal.
Result<void> setup_stdio(const ProcessStdio& stdio, bool terminal);

/// Child side, while privileged: oom_score_adj and rlimits.
Result<void> apply_limits(const ProcessPlan& plan);

/// Child side: seccomp (early without no_new_privs, since loading then needs
/// CAP_SYS_ADMIN), bounding set, uid/gid/groups under PR_SET_KEEPCAPS, the
/// capability sets, umask, cwd, no_new_privs, seccomp (late with it).
Result<void> apply_identity(ProcessPlan& plan);

/// Child side, after apply_identity: the path to execve, looked up like runc
/// in the process's PATH (a name with a '/' is used as it is).
Result<std::string> find_executable(const ProcessPlan& plan);

/// Child side: unblocks every signal, resets ignored ones to default and marks
/// every fd above 2 close-on-exec, so the process starts clean.
Result<void> prepare_exec();

/// Child side: execve(path, plan.args, plan.env) (HOME added from the
/// container's /etc/passwd when missing); returns only on failure.
Error exec_process(const std::string& path, const ProcessPlan& plan);

}  // namespace kata::agent
