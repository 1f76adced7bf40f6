#include "agent/virtio_port.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <time.h>

#include <cerrno>

#include "common/fs.hpp"

namespace kata::agent {

Result<std::string> find_virtio_port(const std::string& class_dir, const std::string& name) {
  DIR* dir = ::opendir(class_dir.c_str());
  if (dir == nullptr) return sys_error(errno, "open {}", class_dir);
  std::string found;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view entry_name = entry->d_name;
    if (!entry_name.starts_with("vport")) continue;
    auto content = read_file(class_dir + "/" + std::string(entry_name) + "/name", 4096);
    if (!content) continue;  // port without a name yet
    std::string_view port_name = *content;
    while (!port_name.empty() && port_name.back() == '\n') port_name.remove_suffix(1);
    if (port_name == name) {
      found = "/dev/" + std::string(entry_name);
      break;
    }
  }
  ::closedir(dir);
  if (found.empty()) return make_error(ErrorKind::not_found, "no virtio port named {} in {}", name, class_dir);
  return found;
}

Result<UniqueFd> open_virtio_port(const std::string& name, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto path = find_virtio_port("/sys/class/virtio-ports", name);
    if (path) {
      // Non-blocking: a write to a port whose host end is gone would otherwise block
      // until a host reconnects.
      UniqueFd fd(::open(path->c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK));
      if (fd) return fd;
      // The sysfs entry can precede its devtmpfs node by a moment.
      if (errno != ENOENT) return sys_error(errno, "open {}", *path);
      path = sys_error(ENOENT, "open {}", *path);
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::move(path).error().wrap("find agent port");
    timespec pause{0, 5'000'000};
    ::nanosleep(&pause, nullptr);
  }
}

}  // namespace kata::agent
