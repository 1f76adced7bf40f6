#include "tests/integration/container/busybox_rootfs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/fs.hpp"
#include "tests/support/busybox_rootfs.hpp"

namespace kata::test {

Result<BusyboxRootfs> BusyboxRootfs::create(const std::vector<std::string>& applets) {
  char pattern[] = "/tmp/kata-container-test-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) return sys_error(errno, "mkdtemp");
  BusyboxRootfs result{std::string(pattern)};
  // Readable by the mapped ids of a user-namespace container.
  if (::chmod(pattern, 0755) != 0) return sys_error(errno, "chmod {}", pattern);
  auto root = result.rootfs();
  KATA_TRY(test_support::make_busybox_rootfs(root, applets));
  if (::mkdir((root + "/root").c_str(), 0700) != 0) return sys_error(errno, "mkdir {}/root", root);
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
