#pragma once
// Forking a container process and cleaning it up when its setup fails.

#include <sys/types.h>

#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {

/// clone(2) with `namespace_flags` (CLONE_NEWUSER/CLONE_NEWPID) and SIGCHLD:
/// a fork whose child is born in new namespaces. With CLONE_NEWPID the child
/// is pid 1 there, while the returned pid is the caller's view of it. A
/// `cgroup_fd` >= 0 (an open cgroup v2 directory) makes the child a member
/// of that cgroup from birth (clone3 with CLONE_INTO_CGROUP, Linux 5.7+).
/// Returns 0 in the child.
Result<pid_t> clone_child(int namespace_flags, int cgroup_fd = -1);

/// Opens a cgroup v2 directory for clone_child; an empty path gives an
/// empty fd (get() is -1: the child stays in the caller's cgroup).
Result<UniqueFd> open_cgroup_dir(const std::string& cgroup_dir);

/// SIGKILLs and reaps `pid` (a failed child must not linger as a zombie).
void kill_and_reap(pid_t pid);

/// Waits for `pid` (which has closed its report pipe, so is exiting) and
/// describes how it ended ("exited with status 1", "killed by signal 9").
std::string describe_exit(pid_t pid);

/// Child side: sends `error` on `report_fd` and exits with status 1.
[[noreturn]] void fail_child(int report_fd, const Error& error);

}  // namespace kata::agent
