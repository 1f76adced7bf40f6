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

}  // namespace kata::runtime
