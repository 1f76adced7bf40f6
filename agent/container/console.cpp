#include "agent/container/console.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <span>
#include <string_view>

#include "agent/container/devices.hpp"
#include "agent/container/rootfs_path.hpp"
#include "common/fd_passing.hpp"

namespace kata::agent {
namespace {

using namespace std::chrono_literals;

// The one message of the init's console socket: "master" with the pty
// master's fd, or "kept" when the init kept the agent's pty.
constexpr std::string_view kMasterLine = "master\n";
constexpr std::string_view kKeptLine = "kept\n";

}  // namespace

Result<UniqueFd> attach_console(const std::string& rootfs, int socket_fd, const std::string& agent_slave_path,
                                int agent_slave_fd) {
  auto ptmx = KATA_TRY(resolve_in_root(rootfs, "/dev/ptmx"));
  UniqueFd master(::open(ptmx.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) {
    // No devpts of its own (the spec mounts none): the agent's pty, as it is.
    KATA_TRY(bind_console(rootfs, agent_slave_path));
    KATA_TRY(send_with_fds(socket_fd, kKeptLine, {}).wrap("send the terminal master"));
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
  int master_fd = master.get();
  KATA_TRY(send_with_fds(socket_fd, kMasterLine, std::span(&master_fd, 1)).wrap("send the terminal master"));
  return slave;
}

Result<UniqueFd> receive_console(int socket_fd) {
  // Sent before the init reported ready: it is already there.
  auto received = KATA_TRY(receive_line_with_fds(socket_fd, 5s).wrap("receive the terminal master"));
  std::string line = received.line + "\n";
  if (line == kKeptLine && received.fds.empty()) return UniqueFd();
  if (line == kMasterLine && received.fds.size() == 1) return std::move(received.fds.front());
  return make_error(ErrorKind::internal, "the init sent a bad terminal message \"{}\" with {} fds", received.line,
                    received.fds.size());
}

}  // namespace kata::agent
