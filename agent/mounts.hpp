#pragma once
// The filesystems PID 1 sets up before anything else can run.

#include <string>

#include "common/error.hpp"

namespace kata::agent {

/// Moves PID 1 onto a bind mount of the initramfs: the initial rootfs has
/// no parent mount, so pivot_root(2) fails on it with EINVAL and containers
/// could not be created. A bind of "/" moved over "/" and chrooted into has a
/// parent, and mount namespaces copied from it can pivot_root. Run first.
Result<void> make_root_pivotable();

/// Mounts /proc, /sys, /dev (devtmpfs), /dev/pts, /dev/shm and /run (tmpfs)
/// in that order: later steps read /proc and /sys, and device nodes for
/// virtio ports appear in devtmpfs.
Result<void> mount_base_filesystems();

/// Mounts the virtio-fs share `tag` at `target` (created if missing). Retries
/// for a few seconds, because the device may still be probing right after
/// its driver loaded.
Result<void> mount_shared_dir(const std::string& tag, const std::string& target);

/// Mounts the virtio-9p share `tag` on `target` (a VM restored from a
/// template, whose memory virtiofsd cannot map): 9P2000.L, with the page
/// cache for mmap (cache=mmap: shared writable mappings, executables).
Result<void> mount_9p_share(const std::string& tag, const std::string& target);

/// Where boot mounts the cgroup v2 hierarchy.
inline constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

/// Mounts cgroup2 at `target`: containers get one cgroup each (freezer,
/// limits, stats, kill).
Result<void> mount_cgroup2(const std::string& target);

/// Creates `path` and its missing parents with `mode`.
Result<void> make_directories(const std::string& path, mode_t mode);

}  // namespace kata::agent
