#pragma once
// A throwaway busybox rootfs in a fresh temp dir for the container tests,
// built by tests/support's make_busybox_rootfs; removal refuses to recurse
// into anything still mounted there, since these tests mount as root.

#include <string>
#include <vector>

#include "common/error.hpp"

namespace kata::test {

/// A temp dir holding `rootfs/` with /bin/busybox, applet symlinks and the
/// usual empty dirs. Removed (recursively, without crossing mount points) on
/// destruction.
class BusyboxRootfs {
 public:
  /// Builds it under /tmp with the given applets (sh, echo, cat, ...).
  static Result<BusyboxRootfs> create(const std::vector<std::string>& applets);
  BusyboxRootfs(BusyboxRootfs&& other) noexcept : dir_(std::move(other.dir_)) { other.dir_.clear(); }
  BusyboxRootfs& operator=(BusyboxRootfs&&) = delete;
  ~BusyboxRootfs();

  /// The temp dir (parent of rootfs).
  const std::string& dir() const { return dir_; }
  /// The rootfs path.
  std::string rootfs() const { return dir_ + "/rootfs"; }

 private:
  explicit BusyboxRootfs(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace kata::test
