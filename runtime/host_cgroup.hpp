#pragma once
// The sandbox's cgroup on the host: the spec's `linux.cgroupsPath` made in
// every mounted hierarchy (cgroup v1, hybrid, v2), its CPU, cpuset, pids and
// memory limits written, and the sandbox's host processes (monitor, QEMU,
// virtiofsd, the stand-in) moved in, so the engine's limits bound the whole
// VM and its accounting (podman stats, kubelet) sees it. The paths and
// values come from host_cgroup_plan.hpp.
//
// What kata touches, on purpose: only directories it created for this
// container. A directory that already exists (podman's cgroup parent, a
// cgroup an engine made ahead) is entered but never written to, except the
// leaf's cgroup.procs to join it, and never removed; a leaf that already
// holds processes is refused (runc would join it, but those are another
// workload's, and its limits are not kata's to share). On cgroup v2 a
// controller a limit needs must already be enabled in the nearest existing
// ancestor's cgroup.subtree_control: kata enables controllers only in the
// directories it made. kata does not talk to systemd: a "slice:prefix:name"
// path is made as plain directories, as the cgroupfs driver would.

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "runtime/host_cgroup_plan.hpp"

namespace kata::runtime {

/// Where the spec's cgroup goes on this host, found before any side effect.
struct HostCgroupPlan {
  std::string cgroups_path;             ///< the spec's, for messages
  std::vector<CgroupHierarchy> hierarchies;
  std::vector<std::string> leaves;      ///< the directory in each hierarchy (same order)
  HostLimits limits;
  std::uint64_t memory_limit = 0;       ///< bytes, sandbox_memory_limit
};

/// The plan for `spec` on this host (reads /proc/self/mountinfo and
/// /proc/self/cgroup); nullopt when the spec has no cgroupsPath (kata then
/// leaves its processes in its caller's cgroup). Errors (invalid_argument)
/// name a cgroupsPath kata refuses.
Result<std::optional<HostCgroupPlan>> plan_host_cgroup(const oci::Spec& spec, bool systemd,
                                                       std::uint64_t memory_limit);

/// The plan for a pod member's own cgroupsPath: a cgroup for its stand-in
/// alone, with no limits (the member's limits apply in the guest; its VM is
/// the sandbox's, in the sandbox's cgroup). Engines read a container's
/// usage from its pid's cgroup (containerd's shim, kubelet's stats), so the
/// stand-in must not stay in the engine's own. nullopt without a
/// cgroupsPath; errors as plan_host_cgroup's.
Result<std::optional<HostCgroupPlan>> plan_member_host_cgroup(const oci::Spec& spec, bool systemd);

/// The plan for `cgroups_path` in `hierarchies` (plan_host_cgroup's pure part).
Result<HostCgroupPlan> plan_host_cgroup_in(std::vector<CgroupHierarchy> hierarchies, std::string_view cgroups_path,
                                           bool systemd, const HostLimits& limits, std::uint64_t memory_limit);

/// Makes the plan's directories and writes the limits in the ones kata
/// made. On failure removes what it made and returns an error naming the
/// cgroupsPath and the directory or file.
Result<HostCgroupRecord> create_host_cgroup(const HostCgroupPlan& plan);

/// Moves process `pid` (0: the caller) into every leaf (cgroup.procs).
Result<void> join_host_cgroup(const std::vector<std::string>& leaves, pid_t pid);
/// The leaves' paths of a record.
std::vector<std::string> leaf_paths(const HostCgroupRecord& record);

/// Writes `limits` into the leaves kata created (`kata update`); leaves that
/// existed before are left as they are.
Result<void> update_host_cgroup(const HostCgroupRecord& record, const HostLimits& limits);

/// Raises the sandbox's memory limit by `added_bytes` (memory hot-added to
/// its VM for a pod member), in the record and in the leaves kata created
/// where a limit is set (an unlimited cgroup stays so), so the host never
/// OOM-kills the grown VM for what the guest allows.
Result<void> raise_host_memory_limit(HostCgroupRecord& record, std::uint64_t added_bytes);

/// Removes the directories kata created, deepest first, waiting briefly for
/// processes that were just killed to leave them. A directory already gone
/// is fine, and so is one that now holds a child cgroup of someone else's
/// (a parent another container came to share: it stays); one that still
/// holds processes is an error naming it.
Result<void> remove_host_cgroup(const HostCgroupRecord& record);

}  // namespace kata::runtime
