#pragma once
// The container as the host sees it through the container's pid: a mount
// namespace whose root is the container's rootfs (the share's copy, the
// very tree the guest mounts over virtio-fs) with the spec's bind mounts at
// their destinations and a /proc of the stand-in's own pid namespace.
// Engines enter the mount namespace of the container's pid to copy files in
// and out (`podman cp`) and to list its processes (`podman top`); under
// kata that pid is the stand-in (stand_in.hpp), so what they find there must
// be the container's files and nothing of the host.
//
// Decision: the view is built from the share dir, not from the spec's
// sources: those are the mounts the guest already sees, resolved once by
// create, so the host's view and the guest's cannot drift apart. Mount
// points are opened inside the rootfs with openat2(RESOLVE_IN_ROOT): a
// symlink in a hostile image resolves inside the rootfs, never to a host
// path. A destination missing from the rootfs (one inside a tmpfs the guest
// mounts, such as /dev/shm) is left out of the view.

#include <string>
#include <vector>

#include "common/error.hpp"
#include "oci/spec.hpp"

namespace kata::runtime {

/// One bind mount of the view: a share entry at a destination.
struct ViewBind {
  std::string source;       ///< absolute host path in the share dir
  std::string destination;  ///< absolute path in the container
  bool readonly = false;    ///< the spec's "ro" option
  bool recursive = false;   ///< "rbind": submounts come along
  bool operator==(const ViewBind&) const = default;
};

/// What the container's view is made of.
struct ViewPlan {
  std::string rootfs;  ///< absolute host path: <share>/<id>/rootfs
  bool readonly = false;  ///< root.readonly
  std::vector<ViewBind> binds;  ///< in spec order
  bool operator==(const ViewPlan&) const = default;
};

/// The view of container `id` whose share dir is `share_dir`: the rootfs
/// and each bind mount of `spec` at the share path rewrite_for_guest gave it.
/// Pure.
ViewPlan view_plan_for(const oci::Spec& spec, const std::string& id, const std::string& share_dir);

/// Makes the calling process's mount namespace the view and its root the
/// rootfs: mounts become slaves (nothing propagates back to the host), the
/// rootfs is bound on itself, the binds and a new procfs go on top, then
/// pivot_root and a detach of the old root, so no host path is left in the
/// namespace. The caller must be alone in a mount namespace of its own (and,
/// for /proc to show only its processes, a pid namespace of its own).
/// The error names the mount that failed.
Result<void> enter_container_view(const ViewPlan& plan);

}  // namespace kata::runtime
