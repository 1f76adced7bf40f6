#include "agent/container/loopback.hpp"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cstring>

#include "common/unique_fd.hpp"

namespace kata::agent {

Result<void> bring_loopback_up() {
  // One flag on one device: the interface ioctls are enough, no netlink.
  UniqueFd socket_fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket_fd) return sys_error(errno, "loopback: socket");
  ifreq request{};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(socket_fd.get(), SIOCGIFFLAGS, &request) < 0) return sys_error(errno, "loopback: get flags of lo");
  if ((request.ifr_flags & IFF_UP) != 0) return ok();
  request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
  if (::ioctl(socket_fd.get(), SIOCSIFFLAGS, &request) < 0) return sys_error(errno, "loopback: bring lo up");
  return ok();
}

}  // namespace kata::agent
