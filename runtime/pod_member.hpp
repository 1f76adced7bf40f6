#pragma once
// Pods: which containers share one VM. Engines mark a pod's containers with
// annotations (the ones Kata Containers reads): CRI-O, and podman for pod
// members, set io.kubernetes.cri-o.ContainerType ("sandbox" | "container")
// and io.kubernetes.cri-o.SandboxID; containerd's CRI plugin sets
// io.kubernetes.cri.container-type and io.kubernetes.cri.sandbox-id. A
// container with no type, or type "sandbox", boots a VM of its own (it is
// the pod's sandbox); a "container" whose sandbox is another container
// joins that container's VM as a member.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "oci/spec.hpp"

namespace kata::runtime {

/// CRI-O's (and podman's) container type annotation.
inline constexpr const char* crio_container_type = "io.kubernetes.cri-o.ContainerType";
/// CRI-O's (and podman's) sandbox id annotation.
inline constexpr const char* crio_sandbox_id = "io.kubernetes.cri-o.SandboxID";
/// containerd CRI's container type annotation.
inline constexpr const char* cri_container_type = "io.kubernetes.cri.container-type";
/// containerd CRI's sandbox id annotation.
inline constexpr const char* cri_sandbox_id = "io.kubernetes.cri.sandbox-id";

/// Where a container goes: the id of the sandbox whose VM it joins, or
/// nullopt for a VM of its own.
struct PodPlacement {
  std::optional<std::string> sandbox_id;
};

/// Whether an engine marks `spec`'s container as a pod's sandbox (the pause
/// or infra container: type "sandbox" in CRI-O's/podman's or containerd
/// CRI's annotation). One without pod annotations boots a VM too, but is
/// no pod's sandbox.
bool is_marked_pod_sandbox(const oci::Spec& spec);

/// Reads the pod annotations of `spec` for container `id`. A member's
/// sandbox id must be a valid container id; an unknown type is an error
/// naming the annotation.
Result<PodPlacement> pod_placement(const oci::Spec& spec, const std::string& id);

/// Points the guest spec's `join` namespaces ("ipc", "uts", "pid") at
/// those of the sandbox container's init (guest pid `sandbox_init`),
/// adding the entry where the spec had none.
void join_sandbox_namespaces(nlohmann::json& guest_spec, std::int64_t sandbox_init,
                             const std::vector<std::string>& join);

}  // namespace kata::runtime
