#pragma once
// The container's stand-in on the host: the process whose pid is the
// container's pid for engines (pid file, state, the engine's waitpid).
//
// Engines treat that pid as the container: they enter its namespaces
// (`podman cp` its mount namespace, `podman top` its pid namespace,
// `nsenter -t PID`) and wait for it to exit. The stand-in therefore lives in
// namespaces that stand for the container, never the host's: PID 1 of a pid
// namespace of its own, a mount namespace that is the container's view
// (container_view.hpp), the container's network namespace (the engine's,
// whose interfaces tcfilter carries into the VM; a new one when the spec
// names none), UTS and IPC namespaces of its own with the spec's
// hostname, or the ones its spec names (a pod's, see namespace_to_join), and
// the container's host cgroup, with a cgroup namespace rooted there when the
// spec asks for a new one (what runc's container has, so `nsenter -C` finds
// the container's cgroup tree, not the host's).
//
// Decision: the stand-in and the sandbox monitor are two processes. The
// monitor must see the host (QEMU, virtiofsd, the state dir, the share's
// mounts) and the stand-in must not, and nothing the stand-in holds may lead
// back to the host: in its /proc an engine can follow /proc/<pid>/root and
// /proc/<pid>/fd of every process there, so QEMU, virtiofsd and the monitor
// stay out of its pid namespace and the stand-in keeps no host directory
// open. The two hold the ends of a socketpair: the stand-in forwards every
// signal it gets to the monitor (which sends it to the container's init in
// the guest) and exits with the status byte the monitor sends once the
// container has exited (and the guest has flushed its writes); the monitor takes the socket's
// EOF (the stand-in killed) as SIGKILL of the container.

#include <optional>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "oci/spec.hpp"
#include "runtime/container_view.hpp"

namespace kata::runtime {

/// What the stand-in is made of.
struct StandInParams {
  ViewPlan view;
  /// The container's network namespace (open file); -1: a new one.
  int netns_fd = -1;
  std::optional<std::string> hostname;    ///< the spec's hostname
  std::optional<std::string> domainname;  ///< the spec's domainname
  int monitor_fd = -1;  ///< the stand-in's end of the socketpair with the monitor
  /// The IPC and UTS namespaces the spec names (namespace_to_join): a pod's
  /// pinned ones, or a member's sandbox's; -1: new ones.
  int ipc_fd = -1;
  int uts_fd = -1;
  /// The host cgroup leaves the stand-in moves itself into before anything
  /// else (engines read the container's cgroup from its pid); empty: none.
  std::vector<std::string> cgroup_leaves;
  /// The spec asks for a cgroup namespace of its own (an entry without a
  /// path): made once the stand-in is in its cgroup, so rooted there.
  bool new_cgroup_namespace = false;
};


/// The spec's `type` ("ipc" or "uts") namespace for the stand-in to join:
/// its path opened, or an empty fd when the spec names none or names the
/// caller's own (the host's: the stand-in then makes a new one, and never
/// sets the host's hostname). The error names the entry.
Result<UniqueFd> namespace_to_join(const oci::Spec& spec, const std::string& type);

/// Starts the stand-in as a child of the caller and returns once it is in
/// its namespaces and view; the error names the step that failed there (the
/// child is gone by then).
Result<ChildProcess> spawn_stand_in(const StandInParams& params);

/// The status the stand-in exits with when the monitor vanishes without
/// sending one: the container is lost, as when its VM dies.
inline constexpr int stand_in_lost_status = 255;

}  // namespace kata::runtime
