#include "runtime/network/netns.hpp"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "runtime/bundle_rewrite.hpp"

namespace kata::runtime::network {

Result<std::optional<UniqueFd>> open_netns(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::optional<UniqueFd>();
    return sys_error(errno, "open network namespace {}", path);
  }
  return std::optional<UniqueFd>(std::move(fd));
}

Result<NamespaceId> namespace_id(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) < 0) return sys_error(errno, "stat network namespace {}", path);
  return NamespaceId{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
}

Result<NamespaceId> namespace_id_of(const std::string& path, UniqueFd* keep) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_error(errno, "open {}", path);
  auto id = KATA_TRY(namespace_id(fd.get(), path));
  if (keep) *keep = std::move(fd);
  return id;
}

Result<UniqueFd> open_container_netns(const std::string& path) {
  auto opened = KATA_TRY(open_netns(path));
  if (!opened) return make_error(ErrorKind::not_found, "network namespace {}: does not exist", path);
  UniqueFd fd = std::move(*opened);
  // NS_GET_NSTYPE answers only for nsfs files: anything else (a regular
  // file, a directory, /proc/self/ns/ipc) is not a network namespace.
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type != CLONE_NEWNET) return make_error(ErrorKind::invalid_argument, "{}: not a network namespace", path);
  auto id = KATA_TRY(namespace_id(fd.get(), path));
  // kata's own namespace is the host's network as far as this container is
  // concerned, whatever path names it (/proc/self/ns/net, the engine's
  // /proc/<pid>/ns/net, a bind mount of it); so is PID 1's, when kata
  // itself runs in another one. PID 1's may be unreadable (another pid
  // namespace, no ptrace right): then only kata's own is known.
  for (const char* host : {"/proc/thread-self/ns/net", "/proc/1/ns/net"}) {
    UniqueFd host_fd(::open(host, O_RDONLY | O_CLOEXEC));
    if (!host_fd) {
      if (std::string_view(host) == "/proc/1/ns/net") continue;
      return sys_error(errno, "open {}", host);
    }
    if (KATA_TRY(namespace_id(host_fd.get(), host)) == id)
      return make_error(ErrorKind::unsupported, "network namespace {}: {}", path, host_network_refusal);
  }
  return fd;
}

Result<NetnsEntry> NetnsEntry::enter(int netns_fd, const std::string& path) {
  // thread-self: the namespace of this thread, the one setns changes.
  UniqueFd original(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!original) return sys_error(errno, "open /proc/thread-self/ns/net");
  if (::setns(netns_fd, CLONE_NEWNET) < 0) {
    if (errno == EINVAL) return make_error(ErrorKind::invalid_argument, "{}: not a network namespace", path);
    return sys_error(errno, "enter network namespace {}", path);
  }
  NetnsEntry entry(std::move(original));
  // Every change after this lands in the thread's namespace: prove it is
  // the one asked for, not merely that setns returned 0.
  UniqueFd now(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!now) return sys_error(errno, "open /proc/thread-self/ns/net");
  if (KATA_TRY(namespace_id(now.get(), "/proc/thread-self/ns/net")) != KATA_TRY(namespace_id(netns_fd, path)))
    return make_error(ErrorKind::internal, "entering network namespace {} left this thread elsewhere", path);
  return entry;
}

NetnsEntry::~NetnsEntry() {
  if (!original_) return;  // moved from
  // Failing to return would leave kata's later work (sockets, QEMU) in the
  // container's namespace: nothing sane can continue after that.
  if (::setns(original_.get(), CLONE_NEWNET) < 0) std::abort();
}

}  // namespace kata::runtime::network
