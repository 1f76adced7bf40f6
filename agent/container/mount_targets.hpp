#pragma once
// The mount points of a user-namespaced container, made by the agent as the
// real root before the init is cloned into its user namespace.
//
// Why the init cannot make them itself: the rootfs reaches the guest over
// virtio-fs, and QEMU's C virtiofsd performs each request on the host with
// the caller's uid as its effective uid, which clears its capabilities. The
// container's root (uid 0 in the namespace, 100000 on the host) passes the
// guest kernel's checks on its own inodes by CAP_DAC_OVERRIDE, but on the
// host it is a plain uid 100000, and podman's rootfs root is r-xr-xr-x: a
// mkdir of /proc in it fails with EACCES there. A request from the guest's
// real root keeps virtiofsd's capabilities, so the agent creates what the
// spec mounts on, and gives it to the container's root, as runc's would be.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// The owner the container's root has outside its user namespace: the ids
/// that container uid 0 and gid 0 map to; empty when the mappings leave
/// either unmapped.
struct MappedRoot {
  uid_t uid = 0;
  gid_t gid = 0;
};

/// The host ids of container uid 0 and gid 0 in `uid_mappings` /
/// `gid_mappings`; std::nullopt when either is not mapped.
std::optional<MappedRoot> mapped_root(const std::vector<oci::IdMapping>& uid_mappings,
                                      const std::vector<oci::IdMapping>& gid_mappings);

/// Creates, inside spec.root.path, every missing directory on the way to
/// each mount destination of spec.mounts and to process.cwd, and the
/// destination itself (a file for a bind mount of a file, else a
/// directory), owned by `owner` (left root's when empty). Destinations at or
/// below an earlier mount's are skipped: they are made inside that mount by
/// the init. Paths resolve inside the rootfs (resolve_in_root), then every
/// component is opened without following symlinks, so a rootfs changed
/// meanwhile cannot make the agent create anything outside it.
Result<void> create_mount_targets(const oci::Spec& spec, const std::optional<MappedRoot>& owner);

}  // namespace kata::agent
