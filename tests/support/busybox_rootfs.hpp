#pragma once

#include <string>
#include <vector>

#include "common/error.hpp"

namespace kata::test_support {

/// Where the busybox-static package installs its binary.
inline constexpr const char* kBusyboxBinary = "/bin/busybox";

/// Applets linked by default: what the VM tests run.
const std::vector<std::string>& default_busybox_applets();

/// Syscalls that busybox sh and its echo, touch and mkdir applets (static
/// glibc) and the agent's steps after an early seccomp filter (ids, caps)
/// call on x86_64, all numbered 273 (set_robust_list) or less: an allow list
/// without clone3, close_range, getrandom, rseq, prlimit64 or utimensat.
const std::vector<std::string>& busybox_old_syscalls();

/// Builds a minimal container rootfs in `dir` (created if missing): a copy
/// of `busybox` as bin/busybox (a copy, not a link: the rootfs is shared
/// into a VM that cannot see host paths), bin/<applet> symlinks to it for
/// each of `applets`, and empty proc, sys, dev, tmp and etc directories.
/// not_found when busybox is missing (install busybox-static).
Result<void> make_busybox_rootfs(const std::string& dir,
                                 const std::vector<std::string>& applets = default_busybox_applets(),
                                 const std::string& busybox = kBusyboxBinary);

}  // namespace kata::test_support
