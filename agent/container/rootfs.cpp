#include "agent/container/rootfs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/container/devices.hpp"
#include "agent/container/mount_options.hpp"
#include "agent/container/rootfs_path.hpp"
#include "common/fs.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {
namespace {

std::string parent_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Flags a bind remount must repeat: in a user namespace the kernel refuses to
// drop the nosuid/nodev/noexec/atime flags it locked on the original mount.
unsigned long kept_mount_flags(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

Result<void> remount_readonly(const std::string& path) {
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY | kept_mount_flags(path);
  if (::mount(nullptr, path.c_str(), nullptr, flags, nullptr) != 0) {
    return sys_error(errno, "remount {} read-only", path);
  }
  return ok();
}

Result<void> create_bind_target(const std::string& source, const std::string& target) {
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) return sys_error(errno, "stat bind source {}", source);
  if (S_ISDIR(st.st_mode)) return make_directories(target);
  KATA_TRY(make_directories(parent_of(target)));
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 && errno != EISDIR) return sys_error(errno, "create {}", target);
  if (fd >= 0) ::close(fd);
  return ok();
}

Result<void> mount_one(const std::string& rootfs, const oci::Mount& mount) {
  auto target = KATA_TRY(resolve_in_root(rootfs, mount.destination));
  auto options = parse_mount_options(mount.options.value_or(std::vector<std::string>{}));
  std::string type = mount.type.value_or("");
  std::string source = mount.source.value_or(type);
  const char* data = options.data.empty() ? nullptr : options.data.c_str();
  auto what = fmt::format("mount {} on {}", type.empty() ? source : type, mount.destination);

  if (options.bind()) {
    // A target the image has needs nothing made: on a clone's 9p share
    // each path walk is round trips to the host (stat of the source, each
    // directory, open and close of the file: 5 to 7 per bind).
    struct stat existing {};
    if (::lstat(target.c_str(), &existing) != 0) KATA_TRY(create_bind_target(source, target).wrap(what));
    if (::mount(source.c_str(), target.c_str(), nullptr, options.flags & (MS_BIND | MS_REC), nullptr) != 0) {
      return sys_error(errno, "{}", what);
    }
    // A bind ignores every other flag; they take a remount.
    unsigned long extra = options.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (extra != 0) {
      unsigned long flags = MS_BIND | MS_REMOUNT | extra | kept_mount_flags(target);
      if (::mount(nullptr, target.c_str(), nullptr, flags, nullptr) != 0) {
        return sys_error(errno, "{}: remount with its options", what);
      }
    }
  } else {
    if (type == "cgroup") type = "cgroup2";  // the guest runs cgroup v2 only
    if (type == "cgroup2") source = "cgroup2";
    KATA_TRY(make_directories(target).wrap(what));
    if (::mount(source.c_str(), target.c_str(), type.c_str(), options.flags, data) != 0) {
      int error = errno;
      // sysfs of a network namespace we do not own: runc falls back to /sys.
      bool sysfs_fallback = type == "sysfs" && (error == EPERM || error == EBUSY);
      if (!sysfs_fallback) return sys_error(error, "{}", what);
      if (::mount("/sys", target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        return sys_error(errno, "{}: bind /sys", what);
      }
      KATA_TRY(remount_readonly(target).wrap(what));
    }
  }
  if (options.propagation != 0 &&
      ::mount(nullptr, target.c_str(), nullptr, options.propagation, nullptr) != 0) {
    return sys_error(errno, "{}: set propagation", what);
  }
  return ok();
}

Result<void> write_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/";
  for (char c : key) path += c == '.' ? '/' : c;
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC);
  if (fd < 0) return sys_error(errno, "sysctl {}", key);
  UniqueFd owner(fd);
  return write_all(fd, value).wrap(fmt::format("sysctl {}", key));
}

Result<void> mask_path(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return ok();
    return sys_error(errno, "mask {}", path);
  }
  if (S_ISDIR(st.st_mode)) {
    if (::mount("tmpfs", path.c_str(), "tmpfs", MS_RDONLY, nullptr) != 0) {
      return sys_error(errno, "mask {}", path);
    }
  } else if (::mount("/dev/null", path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return sys_error(errno, "mask {}", path);
  }
  return ok();
}

Result<void> make_path_readonly(const std::string& path) {
  if (::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    if (errno == ENOENT) return ok();
    return sys_error(errno, "bind readonly path {}", path);
  }
  return remount_readonly(path);
}

}  // namespace

Result<void> prepare_rootfs(const oci::Spec& spec) {
  const std::string& rootfs = spec.root->path;
  if (rootfs.empty() || rootfs.front() != '/') {
    return make_error(ErrorKind::invalid_argument, "root.path \"{}\" is not absolute", rootfs);
  }
  // rslave rather than a shared "/": no mount made here may reach the agent.
  if (::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
    return sys_error(errno, "make / rslave");
  }
  if (::mount(rootfs.c_str(), rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return sys_error(errno, "bind rootfs {} onto itself", rootfs);
  }
  if (spec.mounts) {
    for (const auto& mount : *spec.mounts) KATA_TRY(mount_one(rootfs, mount));
  }
  KATA_TRY(create_devices(rootfs, spec).wrap("create devices"));
  KATA_TRY(create_dev_symlinks(rootfs).wrap("create /dev symlinks"));
  return ok();
}

Result<void> pivot_into(const std::string& rootfs) {
  int old_root = ::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (old_root < 0) return sys_error(errno, "open /");
  UniqueFd old_owner(old_root);
  int new_root = ::open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (new_root < 0) return sys_error(errno, "open rootfs {}", rootfs);
  UniqueFd new_owner(new_root);
  if (::fchdir(new_root) != 0) return sys_error(errno, "chdir rootfs");
  // pivot_root(".", "."): the old root is stacked under the new one, so no
  // put_old directory has to exist in the image.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return sys_error(errno, "pivot_root");
  if (::fchdir(old_root) != 0) return sys_error(errno, "chdir old root");
  // Slave first so the detach below does not propagate to the agent's mounts.
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0) {
    return sys_error(errno, "make old root rslave");
  }
  if (::umount2(".", MNT_DETACH) != 0) return sys_error(errno, "detach old root");
  if (::chdir("/") != 0) return sys_error(errno, "chdir /");
  return ok();
}

Result<void> finish_rootfs(const oci::Spec& spec) {
  const auto& linux_config = spec.linux_config;
  if (linux_config && linux_config->rootfs_propagation) {
    unsigned long flags = parse_propagation(*linux_config->rootfs_propagation);
    if (flags == 0) {
      return make_error(ErrorKind::invalid_argument, "unknown rootfsPropagation \"{}\"",
                        *linux_config->rootfs_propagation);
    }
    if (::mount(nullptr, "/", nullptr, flags, nullptr) != 0) {
      return sys_error(errno, "set rootfsPropagation {}", *linux_config->rootfs_propagation);
    }
  }
  if (linux_config && linux_config->sysctl) {
    for (const auto& [key, value] : *linux_config->sysctl) KATA_TRY(write_sysctl(key, value));
  }
  if (linux_config && linux_config->readonly_paths) {
    for (const auto& path : *linux_config->readonly_paths) KATA_TRY(make_path_readonly(path));
  }
  if (linux_config && linux_config->masked_paths) {
    for (const auto& path : *linux_config->masked_paths) KATA_TRY(mask_path(path));
  }
  if (spec.root->readonly.value_or(false)) KATA_TRY(remount_readonly("/").wrap("readonly root"));
  return ok();
}

}  // namespace kata::agent
