#pragma once
// Which namespaces a container may name: every path must be a namespace of
// its entry's type, and those of other kata containers are refused outside
// a pod. Each such container runs in a VM of its own, where another
// container's namespaces do not reach: naming them is refused with the
// reason, before any side effect, rather than silently not shared. Pod
// members are placed in their sandbox's VM before these checks
// (pod_member.hpp) and share the pod's namespaces there. A shared UTS
// namespace's name is carried over instead (shared_uts_hostname).

#include "common/error.hpp"
#include "oci/spec.hpp"
#include "runtime/network/netns.hpp"
#include "runtime/state_store.hpp"

namespace kata::runtime {

/// Checks that each linux.namespaces path opens and names a namespace of
/// the entry's type (NS_GET_NSTYPE), so a wrong path is an error naming the
/// entry rather than a silent new namespace: most of them mean nothing in
/// the VM and are otherwise never opened.
Result<void> check_namespace_paths(const oci::Spec& spec);

/// Refuses a network namespace (its identity `netns`) that a live kata
/// container in `store` uses (`--network container:X`): a second VM on the
/// same interfaces would not share X's network.
Result<void> refuse_shared_netns(const StateStore& store, const network::NamespaceId& netns);

/// Refuses a spec whose PID or IPC namespace path names the namespace of a
/// live kata container's pid-file process (`--pid container:X`): X's
/// processes and IPC objects are in X's VM. A UTS path is let through: the
/// engine copies X's hostname into the spec, so the name, which is what a
/// UTS namespace is shared for, comes across. An unreadable path is an
/// error naming it.
Result<void> refuse_other_containers_namespaces(const StateStore& store, const oci::Spec& spec);

/// The hostname a container shares when its spec names no hostname of its
/// own: the host's without a uts entry (the host's UTS namespace), the
/// named namespace's with a uts path (`--uts container:X`, read from inside
/// it), empty with a new namespace or a hostname in the spec. In the VM the
/// container gets a UTS namespace of its own with this name, what runc's
/// container would see.
Result<std::string> shared_uts_hostname(const oci::Spec& spec);

}  // namespace kata::runtime
