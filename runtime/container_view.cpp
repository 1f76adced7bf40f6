#include "runtime/container_view.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/unique_fd.hpp"
#include "runtime/bundle_rewrite.hpp"

namespace kata::runtime {

namespace {

bool has_option(const oci::Mount& mount, std::string_view option) {
  return mount.options && std::find(mount.options->begin(), mount.options->end(), option) != mount.options->end();
}

// Opens `path` (absolute, in the container) below `root_fd` as the
// container would resolve it: symlinks and ".." stay inside the root.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path) {
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // Under RESOLVE_IN_ROOT an absolute path starts at root_fd.
  long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
  if (fd < 0) return sys_error(errno, "{} in the rootfs", path);
  return UniqueFd(static_cast<int>(fd));
}

// A detached copy of the mount tree at `source`, read-only if asked.
Result<UniqueFd> clone_tree(const std::string& source, bool recursive, bool readonly) {
  int fd = ::open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (fd < 0) return sys_error(errno, "clone the mount at {}", source);
  UniqueFd tree(fd);
  if (readonly) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
      return sys_error(errno, "make the mount of {} read-only", source);
  }
  return tree;
}

Result<void> attach(int tree_fd, int target_fd, const std::string& destination) {
  if (::move_mount(tree_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return sys_error(errno, "mount on {}", destination);
  return ok();
}

}  // namespace

ViewPlan view_plan_for(const oci::Spec& spec, const std::string& id, const std::string& share_dir) {
  ViewPlan plan;
  plan.rootfs = share_dir + "/" + id + "/rootfs";
  plan.readonly = spec.root && spec.root->readonly.value_or(false);
  if (!spec.mounts) return plan;
  for (std::size_t n = 0; n < spec.mounts->size(); ++n) {
    const auto& mount = (*spec.mounts)[n];
    if (!is_bind_mount(mount)) continue;
    plan.binds.push_back({share_dir + "/" + id + "/mounts/" + std::to_string(n), mount.destination,
                          has_option(mount, "ro"), has_option(mount, "rbind")});
  }
  return plan;
}

Result<void> enter_container_view(const ViewPlan& plan) {
  // First, so that nothing below reaches the host's mount table.
  if (::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    return sys_error(errno, "make the mounts of the container's view slaves");
  {
    auto tree = KATA_TRY(clone_tree(plan.rootfs, true, plan.readonly));
    UniqueFd target(::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!target) return sys_error(errno, "open {}", plan.rootfs);
    KATA_TRY(attach(tree.get(), target.get(), "/"));
  }
  // Opened after the attach: the view's own mount, not the share's below it.
  UniqueFd root(::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return sys_error(errno, "open {}", plan.rootfs);
  for (const auto& bind : plan.binds) {
    auto target = open_in_root(root.get(), bind.destination);
    if (!target) {
      if (target.error().errno_value == ENOENT) continue;  // inside a guest tmpfs: not in the rootfs
      return std::move(target).error().wrap("container view");
    }
    auto tree = KATA_TRY(clone_tree(bind.source, bind.recursive, bind.readonly).wrap("container view"));
    KATA_TRY(attach(tree.get(), target->get(), bind.destination).wrap("container view"));
  }
  // The stand-in's pid namespace: what `podman top` lists.
  if (auto proc = open_in_root(root.get(), "/proc"); proc) {
    std::string target = "/proc/self/fd/" + std::to_string(proc->get());
    if (::mount("proc", target.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0)
      return sys_error(errno, "container view: mount proc");
  }
  if (::fchdir(root.get()) < 0) return sys_error(errno, "chdir {}", plan.rootfs);
  // pivot_root(".", ".") stacks the old root on the new one; detaching it
  // leaves the rootfs as the namespace's only root.
  if (::syscall(SYS_pivot_root, ".", ".") < 0) return sys_error(errno, "pivot_root to {}", plan.rootfs);
  if (::umount2(".", MNT_DETACH) < 0) return sys_error(errno, "detach the host's root from the container view");
  if (::chdir("/") < 0) return sys_error(errno, "chdir /");
  return ok();
}

}  // namespace kata::runtime
