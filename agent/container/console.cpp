#include "agent/container/console.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "agent/container/devices.hpp"
#include "agent/container/rootfs_path.hpp"

namespace kata::agent {
namespace {

// One message carrying `fd`, or none when fd < 0; the byte says which.
Result<void> send_fd(int socket_fd, int fd) {
  char byte = fd >= 0 ? 'm' : 'n';
  iovec iov{&byte, 1};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
  }
  ssize_t n;
  do {
    n = ::sendmsg(socket_fd, &message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return sys_error(n < 0 ? errno : EIO, "send the terminal master");
  return ok();
}

}  // namespace

Result<UniqueFd> attach_console(const std::string& rootfs, int socket_fd, const std::string& agent_slave_path,
                                int agent_slave_fd) {
  auto ptmx = KATA_TRY(resolve_in_root(rootfs, "/dev/ptmx"));
  UniqueFd master(::open(ptmx.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) {
    // No devpts of its own (the spec mounts none): the agent's pty, as it is.
    KATA_TRY(bind_console(rootfs, agent_slave_path));
    KATA_TRY(send_fd(socket_fd, -1));
    UniqueFd slave(::fcntl(agent_slave_fd, F_DUPFD_CLOEXEC, 3));
    if (!slave) return sys_error(errno, "duplicate the terminal");
    return slave;
  }
  if (::unlockpt(master.get()) != 0) return sys_error(errno, "unlockpt {}", ptmx);
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return sys_error(errno, "open the pty slave of {}", ptmx);
  unsigned number = 0;
  if (::ioctl(master.get(), TIOCGPTN, &number) != 0) return sys_error(errno, "pty number of {}", ptmx);
  // The slave by its path in the rootfs: the devpts the container sees.
  auto slave_path = KATA_TRY(resolve_in_root(rootfs, fmt::format("/dev/pts/{}", number)));
  KATA_TRY(bind_console(rootfs, slave_path));
  KATA_TRY(send_fd(socket_fd, master.get()));
  return slave;
}

Result<UniqueFd> receive_console(int socket_fd) {
  char byte = 0;
  iovec iov{&byte, 1};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(socket_fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error(errno, "receive the terminal master");
  if (n != 1) return make_error(ErrorKind::internal, "the init sent no terminal message");
  UniqueFd master;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS &&
        header->cmsg_len == CMSG_LEN(sizeof(int))) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
      master.reset(fd);
    }
  }
  if (byte == 'm' && !master) return make_error(ErrorKind::internal, "the terminal message lost its fd");
  return master;
}

}  // namespace kata::agent
