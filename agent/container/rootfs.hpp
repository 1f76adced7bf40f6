#pragma once
// The container's filesystem view, built in the child's own mount namespace:
// the rootfs bind, the OCI mounts, /dev, pivot_root, then the paths the spec
// masks or makes read-only. Never call these outside a new mount namespace.

#include <string>

#include "common/error.hpp"
#include "oci/spec.hpp"

namespace kata::agent {

/// Before pivot_root: makes "/" rslave (nothing propagates back to the
/// agent), binds the rootfs onto itself, mounts spec.mounts in order, creates
/// the devices and /dev symlinks.
Result<void> prepare_rootfs(const oci::Spec& spec);

/// pivot_root into `rootfs` with runc's trick (new and old root both ".",
/// then the old root is detached), leaving cwd at "/".
Result<void> pivot_into(const std::string& rootfs);

/// After pivot_root: rootfsPropagation on "/", sysctls, readonlyPaths,
/// maskedPaths and a read-only root, in runc's order.
Result<void> finish_rootfs(const oci::Spec& spec);

}  // namespace kata::agent
