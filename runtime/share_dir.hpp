#pragma once
// The sandbox's share dir (<container dir>/share), exported to the guest
// over virtio-fs: host bind mounts of the rootfs and bind sources into it,
// and their removal.
//
// Which mounts exist is not kept in a separate file: /proc/self/mountinfo
// is the record. Cleanup unmounts every mount point at or below the
// container dir, deepest first, so a crash between a mount and a save never
// leaves a mount that no file mentions.

#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "runtime/bundle_rewrite.hpp"

namespace kata::runtime {

/// Makes the (existing, empty) share dir a mount of its own with shared
/// propagation, so mounts made below it later (a pod member's rootfs) reach
/// virtiofsd's mount namespace (a slave copy made when it starts) whatever
/// the propagation of the mount holding the state root.
Result<void> make_share_mount(const std::string& share_dir);

/// Bind-mounts (recursively) each mount's source onto `<share_dir>/<target>`,
/// creating the target as a directory, or as an empty file for a file source.
/// On failure the mounts made so far stay; call unmount_below().
Result<void> bind_share_mounts(const std::string& share_dir, const std::vector<ShareMount>& mounts);

/// A field of /proc/self/mountinfo with its octal escapes (\040 for a
/// space) decoded.
std::string unescape_mountinfo(std::string_view field);

/// Mount points listed in mountinfo text that are `dir` or below it, deepest
/// (longest) first. Handles mountinfo's octal escapes (\040 for a space).
std::vector<std::string> mount_points_below(std::string_view mountinfo, const std::string& dir);

/// Unmounts (lazily, MNT_DETACH) every mount point at or below `dir`.
Result<void> unmount_below(const std::string& dir);

/// Unmounts `<share_dir>/<id>` (a pod member's entries in its sandbox's
/// share) and removes it, refusing to delete anything bind_share_mounts
/// did not make (a non-empty file stops it).
Result<void> remove_share_entry(const std::string& share_dir, const std::string& id);

}  // namespace kata::runtime
