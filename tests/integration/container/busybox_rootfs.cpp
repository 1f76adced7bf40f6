#include "tests/integration/container/busybox_rootfs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "common/fs.hpp"

namespace kata::test {

Result<BusyboxRootfs> BusyboxRootfs::create(const std::vector<std::string>& applets) {
  char pattern[] = "/tmp/kata-container-test-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) return sys_error(errno, "mkdtemp");
  BusyboxRootfs result{std::string(pattern)};
  // Readable by the mapped ids of a user-namespace container.
  if (::chmod(pattern, 0755) != 0) return sys_error(errno, "chmod {}", pattern);
  auto root = result.rootfs();
  std::error_code ec;
  for (const char* dir : {"bin", "proc", "sys", "dev", "tmp", "etc", "root"}) {
    std::filesystem::create_directories(root + "/" + dir, ec);
    if (ec) return make_error(ErrorKind::system, "mkdir {}/{}: {}", root, dir, ec.message());
  }
  std::filesystem::copy_file("/bin/busybox", root + "/bin/busybox", ec);
  if (ec) return make_error(ErrorKind::system, "copy /bin/busybox: {}", ec.message());
  ::chmod((root + "/bin/busybox").c_str(), 0755);
  for (const auto& applet : applets) {
    if (::symlink("busybox", (root + "/bin/" + applet).c_str()) != 0) {
      return sys_error(errno, "symlink {}", applet);
    }
  }
  return result;
}

BusyboxRootfs::~BusyboxRootfs() {
  if (dir_.empty()) return;
  // Never recurse into something still mounted there (it could be a host dir).
  auto mounts = read_file("/proc/self/mountinfo", 16 << 20);
  if (!mounts || mounts->find(dir_) != std::string::npos) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace kata::test
