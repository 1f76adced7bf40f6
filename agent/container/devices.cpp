#include "agent/container/devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agent/container/rootfs_path.hpp"

namespace kata::agent {
namespace {

struct DefaultDevice {
  const char* path;
  unsigned major;
  unsigned minor;
};

constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3}, {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

Result<void> create_empty_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return sys_error(errno, "create {}", path);
  ::close(fd);
  return ok();
}

Result<void> make_node(const std::string& rootfs, const std::string& container_path, mode_t type,
                       unsigned major, unsigned minor, mode_t mode, uid_t uid, gid_t gid) {
  auto path = KATA_TRY(resolve_in_root(rootfs, container_path));
  KATA_TRY(make_directories(path.substr(0, path.rfind('/'))));
  if (::mknod(path.c_str(), type | (mode & 07777), makedev(major, minor)) == 0) {
    // mknod applies the umask; set the mode the spec asked for.
    if (::chmod(path.c_str(), mode & 07777) != 0) return sys_error(errno, "chmod {}", container_path);
    if (::chown(path.c_str(), uid, gid) != 0) return sys_error(errno, "chown {}", container_path);
    return ok();
  }
  if (errno == EEXIST) return ok();  // the image ships it (runc keeps it too)
  if (errno != EPERM) return sys_error(errno, "mknod {}", container_path);
  // In a user namespace mknod is not allowed: bind the agent's node instead.
  KATA_TRY(create_empty_file(path));
  if (::mount(container_path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return sys_error(errno, "bind {} over {}", container_path, container_path);
  }
  return ok();
}

Result<mode_t> device_type(const std::string& type) {
  if (type == "c" || type == "u") return static_cast<mode_t>(S_IFCHR);
  if (type == "b") return static_cast<mode_t>(S_IFBLK);
  if (type == "p") return static_cast<mode_t>(S_IFIFO);
  return make_error(ErrorKind::invalid_argument, "unknown device type \"{}\"", type);
}

Result<void> make_symlink(const std::string& rootfs, const char* target, const char* link) {
  auto path = KATA_TRY(resolve_in_root(rootfs, link));
  if (::symlink(target, path.c_str()) != 0 && errno != EEXIST) {
    return sys_error(errno, "symlink {} -> {}", link, target);
  }
  return ok();
}

}  // namespace

Result<void> create_devices(const std::string& rootfs, const oci::Spec& spec) {
  const std::vector<oci::Device> none;
  const auto& devices =
      spec.linux_config && spec.linux_config->devices ? *spec.linux_config->devices : none;
  for (const auto& d : kDefaultDevices) {
    bool listed = false;
    for (const auto& device : devices) listed = listed || device.path == d.path;
    if (listed) continue;
    KATA_TRY(make_node(rootfs, d.path, S_IFCHR, d.major, d.minor, 0666, 0, 0));
  }
  for (const auto& device : devices) {
    auto type = KATA_TRY(device_type(device.type));
    KATA_TRY(make_node(rootfs, device.path, type, static_cast<unsigned>(device.major.value_or(0)),
                       static_cast<unsigned>(device.minor.value_or(0)), device.file_mode.value_or(0666),
                       device.uid.value_or(0), device.gid.value_or(0)));
  }
  return ok();
}

Result<void> create_dev_symlinks(const std::string& rootfs) {
  KATA_TRY(make_symlink(rootfs, "/proc/self/fd", "/dev/fd"));
  KATA_TRY(make_symlink(rootfs, "/proc/self/fd/0", "/dev/stdin"));
  KATA_TRY(make_symlink(rootfs, "/proc/self/fd/1", "/dev/stdout"));
  KATA_TRY(make_symlink(rootfs, "/proc/self/fd/2", "/dev/stderr"));
  // A devpts with newinstance has its own ptmx; /dev/ptmx must point at it.
  auto ptmx = KATA_TRY(resolve_in_root(rootfs, "/dev/ptmx"));
  struct stat st {};
  if (::lstat(ptmx.c_str(), &st) == 0 && !S_ISLNK(st.st_mode) && ::unlink(ptmx.c_str()) != 0) {
    return sys_error(errno, "remove /dev/ptmx");
  }
  return make_symlink(rootfs, "pts/ptmx", "/dev/ptmx");
}

Result<void> bind_console(const std::string& rootfs, const std::string& slave_path) {
  auto path = KATA_TRY(resolve_in_root(rootfs, "/dev/console"));
  KATA_TRY(make_directories(path.substr(0, path.rfind('/'))));
  KATA_TRY(create_empty_file(path));
  if (::mount(slave_path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return sys_error(errno, "bind {} on /dev/console", slave_path);
  }
  return ok();
}

}  // namespace kata::agent
