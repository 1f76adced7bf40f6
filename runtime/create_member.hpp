#pragma once
// `create` of a pod member (pod_member.hpp): the container joins the VM of
// its pod's sandbox instead of booting one. Its rootfs and bind sources are
// bound into the sandbox's share (below <share>/<member id>, which
// virtio-fs serves while the VM runs), the sandbox's monitor creates it
// through the agent and relays its stdio, and it gets a stand-in of its own
// (its pid for engines) in the pod's network namespace and, where its spec
// names the sandbox's, its IPC and UTS namespaces.

#include <chrono>
#include <string>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "oci/spec.hpp"
#include "runtime/bundle_rewrite.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/state_store.hpp"

namespace kata::runtime {

/// What create checked before it knew the container is a member.
struct MemberInputs {
  const oci::Spec& spec;
  GuestBundle guest;
  std::string bundle;  ///< absolute
  std::string sandbox_id;
  std::chrono::system_clock::time_point created_at;
};

/// Creates the member in its sandbox's VM; as create_container, a failure
/// leaves nothing behind (the sandbox and its other members untouched).
/// Returns the member's stand-in.
Result<ChildProcess> create_pod_member(StateStore& store, const CreateParams& params, MemberInputs inputs);

/// Removes a member from its sandbox: asks the sandbox's monitor to take it
/// out of the VM (when the monitor still runs), then unmounts and removes
/// its entries in the sandbox's share.
Result<void> remove_pod_member(const StateStore& store, const ContainerRecord& member);

}  // namespace kata::runtime
