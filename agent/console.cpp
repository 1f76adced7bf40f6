#include "agent/console.hpp"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "common/fs.hpp"

namespace kata::agent {

void attach_console() {
  // The kernel opens /dev/console as fds 0-2 of /init when the initramfs has
  // the node; only reopen when fd 2 is missing. These three fds are meant to
  // be inherited, so they are not close-on-exec.
  if (::fcntl(2, F_GETFD) >= 0) return;
  int fd = ::open("/dev/console", O_RDWR | O_NOCTTY);
  if (fd < 0) return;
  for (int target = 0; target <= 2; ++target) {
    if (fd != target) ::dup2(fd, target);
  }
  if (fd > 2) ::close(fd);
}

double seconds_since_boot() {
  timespec now{};
  ::clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

void console_line(std::string_view text) {
  // One write per line, so lines from the kernel and the agent do not interleave mid-line.
  (void)write_all(2, fmt::format("kata-agent: [{:8.3f}] {}\n", seconds_since_boot(), text));
}

}  // namespace kata::agent
