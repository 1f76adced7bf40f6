#include "agent/mounts.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace kata::agent {

namespace {

struct BaseMount {
  const char* source;
  const char* target;
  const char* type;
  unsigned long flags;
  const char* data;
};

// nosuid/nodev/noexec where nothing needs them, as a container host would.
constexpr BaseMount base_mounts[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr},
    {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr},
    {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"},
    {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
    {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"},
};

}  // namespace

Result<void> make_directories(const std::string& path, mode_t mode) {
  for (std::size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), mode) < 0 && errno != EEXIST) return sys_error(errno, "mkdir {}", prefix);
    if (slash == std::string::npos) break;
  }
  return ok();
}

Result<void> make_root_pivotable() {
  constexpr const char* staging = "/.kata-root";
  if (::mkdir(staging, 0700) < 0 && errno != EEXIST) return sys_error(errno, "mkdir {}", staging);
  if (::mount("/", staging, nullptr, MS_BIND, nullptr) < 0) return sys_error(errno, "bind / on {}", staging);
  if (::chdir(staging) < 0) return sys_error(errno, "chdir {}", staging);
  if (::mount(".", "/", nullptr, MS_MOVE, nullptr) < 0) return sys_error(errno, "move {} to /", staging);
  if (::chroot(".") < 0) return sys_error(errno, "chroot {}", staging);
  if (::chdir("/") < 0) return sys_error(errno, "chdir /");
  return ok();
}

Result<void> mount_base_filesystems() {
  for (const auto& m : base_mounts) {
    KATA_TRY(make_directories(m.target, 0755));
    if (::mount(m.source, m.target, m.type, m.flags, m.data) < 0) {
      return sys_error(errno, "mount {} on {}", m.type, m.target);
    }
  }
  return ok();
}

Result<void> mount_cgroup2(const std::string& target) {
  KATA_TRY(make_directories(target, 0755));
  if (::mount("cgroup2", target.c_str(), "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0) {
    return sys_error(errno, "mount cgroup2 on {}", target);
  }
  return ok();
}

Result<void> mount_shared_dir(const std::string& tag, const std::string& target) {
  KATA_TRY(make_directories(target, 0755));
  constexpr int attempts = 500;  // 500 × 10 ms
  for (int attempt = 1;; ++attempt) {
    if (::mount(tag.c_str(), target.c_str(), "virtiofs", MS_NOSUID | MS_NODEV, nullptr) == 0) return ok();
    int error = errno;
    if (attempt == attempts) return sys_error(error, "mount virtiofs {} on {}", tag, target);
    timespec pause{0, 10'000'000};
    ::nanosleep(&pause, nullptr);
  }
}

Result<void> mount_9p_share(const std::string& tag, const std::string& target) {
  KATA_TRY(make_directories(target, 0755));
  if (::mount(tag.c_str(), target.c_str(), "9p", MS_NOSUID | MS_NODEV,
              "trans=virtio,version=9p2000.L,cache=mmap,msize=524288") < 0)
    return sys_error(errno, "mount 9p {} on {}", tag, target);
  return ok();
}

}  // namespace kata::agent
