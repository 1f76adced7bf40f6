#pragma once
// From the bundle's spec to what the guest agent gets: checks for what a VM
// cannot honour, and the spec rewritten to the guest paths of the share
// layout (root at /run/kata-containers/shared/<id>/rootfs, bind sources at
// .../<id>/mounts/<n>), with the host bind mounts that make those paths real,
// and linux.seccomp compiled to its program. No side effects (the seccomp
// compile only uses a memfd of its own).

#include <string>
#include <vector>

#include "common/error.hpp"
#include "oci/spec.hpp"
#include "seccomp/compile.hpp"

namespace kata::runtime {

/// Where the guest agent mounts the sandbox share.
inline constexpr const char* guest_share_root = "/run/kata-containers/shared";

/// Why a container on the host's network is refused (no network namespace
/// entry, or a path naming kata's own namespace).
inline constexpr const char* host_network_refusal = "kata cannot share the host network namespace with a VM";

/// The guest's root network namespace (the agent is PID 1), where the
/// interfaces carried from the engine's namespace appear.
inline constexpr const char* guest_root_netns = "/proc/1/ns/net";

/// A host bind mount into the share dir: `source` (absolute host path) on
/// `target` (relative to the share dir: "<id>/rootfs", "<id>/mounts/3").
struct ShareMount {
  std::string source;
  std::string target;
  bool operator==(const ShareMount&) const = default;
};

/// The guest spec and the host mounts it needs.
struct GuestBundle {
  nlohmann::json spec;              ///< to send with CreateContainer
  std::vector<ShareMount> mounts;   ///< rootfs first, then bind sources in spec order
  /// The host network namespace the engine prepared (linux.namespaces
  /// network path); its interfaces are carried into the VM, and the guest
  /// spec's container uses the guest's root namespace where they appear.
  /// Empty: the container gets a new namespace in the guest (loopback only,
  /// unless late_network brings interfaces at start).
  std::string netns_path;
  /// A new network namespace in a new user namespace: the engine sets it up
  /// only after create, in the namespace of the container's pid (podman does
  /// so that the user namespace owns the network namespace). The container
  /// keeps a namespace of its own in the guest; start carries what the
  /// engine put in the stand-in's namespace (start.cpp).
  bool late_network = false;
};

/// What create needs to know besides the spec.
struct CreateRequest {
  bool console_socket_given = false;  ///< --console-socket
  unsigned preserve_fds = 0;          ///< --preserve-fds
  bool detached = true;               ///< create, run -d: nobody proxies a terminal
};

/// Refuses what a VM cannot honour (no network namespace entry: the host
/// network; a user namespace path without id mappings to recreate it in
/// the guest; preserved fds: unsupported) and runc's terminal rules: a
/// detached terminal needs a console socket, a console socket a terminal.
Result<void> check_vm_compatible(const oci::Spec& spec, const CreateRequest& request);

/// Whether the spec has a `type` namespace entry without a path (a new one).
bool asks_new_namespace(const oci::Spec& spec, const std::string& type);

/// True for a mount the host must bind into the share: type "bind" or a
/// "bind"/"rbind" option.
bool is_bind_mount(const oci::Mount& mount);

/// Rewrites `spec` for container `id` whose bundle is `bundle_dir`
/// (absolute): root.path and each bind mount's source become guest paths;
/// relative host paths are resolved against the bundle. Hooks stay on the
/// host (removed from the guest spec). A network namespace with a path is
/// reported in netns_path and names guest_root_netns in the guest spec (the
/// container shares the guest's root namespace, which gets its
/// interfaces); one without a path stays (a new, empty one). Other
/// namespace paths (host namespaces) are dropped: the guest spec keeps the
/// entry without its path, a new namespace of that type in the VM.
/// A spec without a hostname that shares a UTS namespace (no uts entry:
/// the host's; a uts path: another one) gets `uts_hostname`, that
/// namespace's name (shared_uts_hostname), in a uts namespace of its own:
/// the name runc's container would see, where the guest kernel's would be
/// "(none)".
/// linux.seccomp becomes its compiled program (seccomp::precompile) for
/// the ABIs the guest kernel serves (`abis`); a profile that does not
/// compile is an error naming linux.seccomp.
Result<GuestBundle> rewrite_for_guest(const oci::Spec& spec, const std::string& id, const std::string& bundle_dir,
                                      const std::string& uts_hostname, const seccomp::GuestAbis& abis = {});

}  // namespace kata::runtime
