#include "runtime/network/netns.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace kata::runtime::network {

Result<std::optional<UniqueFd>> open_netns(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<UniqueFd>();
    return sys_error(errno, "open network namespace {}", path);
  }
  return std::optional<UniqueFd>(std::move(fd));
}

Result<NetnsEntry> NetnsEntry::enter(int netns_fd, const std::string& path) {
  // thread-self: the namespace of this thread, the one setns changes.
  UniqueFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original) return sys_error(errno, "open /proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) < 0) {
    if (errno == EINVAL) return make_error(ErrorKind::invalid_argument, "{}: not a network namespace", path);
    return sys_error(errno, "enter network namespace {}", path);
  }
  return NetnsEntry(std::move(original));
}

NetnsEntry::~NetnsEntry() {
  if (!original_) return;  // moved from
  // Failing to return would leave kata's later work (sockets, QEMU) in the
  // container's namespace: nothing sane can continue after that.
  if (::setns(original_.get(), CLONE_NEWNET) < 0) std::abort();
}

}  // namespace kata::runtime::network
