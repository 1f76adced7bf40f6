#include "runtime/terminal.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/unix_socket.hpp"
#include "common/fd_passing.hpp"

namespace kata::runtime {

Result<HostPty> open_host_pty(std::optional<WindowSize> size) {
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return sys_error(errno, "posix_openpt");
  if (::grantpt(master.get()) < 0 || ::unlockpt(master.get()) < 0) return sys_error(errno, "unlock the pty");
  char name[128];
  if (int error = ::ptsname_r(master.get(), name, sizeof name); error != 0) return sys_error(error, "ptsname");
  UniqueFd slave(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return sys_error(errno, "open {}", name);
  termios settings{};
  if (::tcgetattr(slave.get(), &settings) < 0) return sys_error(errno, "tcgetattr {}", name);
  ::cfmakeraw(&settings);
  if (::tcsetattr(slave.get(), TCSANOW, &settings) < 0) return sys_error(errno, "tcsetattr {}", name);
  if (size && size->rows > 0 && size->cols > 0) {
    winsize cells{static_cast<unsigned short>(size->rows), static_cast<unsigned short>(size->cols), 0, 0};
    if (::ioctl(slave.get(), TIOCSWINSZ, &cells) < 0) return sys_error(errno, "set the window size of {}", name);
  }
  return HostPty{std::move(master), std::move(slave)};
}

Result<void> send_console_master(const std::string& socket_path, int master) {
  auto connection = KATA_TRY(connect_unix_socket(socket_path).wrap("console socket"));
  int fds[] = {master};
  return send_with_fds(connection.get(), "/dev/ptmx", fds).wrap("console socket " + socket_path);
}

std::optional<WindowSize> window_size(int fd) {
  winsize cells{};
  if (::ioctl(fd, TIOCGWINSZ, &cells) < 0) return std::nullopt;
  return WindowSize{cells.ws_row, cells.ws_col};
}

RawMode::RawMode(int fd) {
  if (!::isatty(fd) || ::tcgetattr(fd, &saved_) < 0) return;
  termios raw = saved_;
  ::cfmakeraw(&raw);
  // Keep output post-processing off too: the guest's pty already turned
  // "\n" into "\r\n".
  if (::tcsetattr(fd, TCSANOW, &raw) == 0) fd_ = fd;
}

RawMode::~RawMode() {
  if (fd_ >= 0) ::tcsetattr(fd_, TCSANOW, &saved_);
}

}  // namespace kata::runtime
