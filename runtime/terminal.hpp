#pragma once
// Host-side terminals: the pty kata hands to an engine's console socket, and
// the caller's own terminal put in raw mode while kata proxies it. In both
// cases the guest's pty does the line discipline (echo, ^C, line editing);
// the host side only moves bytes, so it must be raw.

#include <termios.h>

#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace kata::runtime {

/// A pseudo-terminal pair; the slave is raw and not anyone's controlling tty.
struct HostPty {
  UniqueFd master;
  UniqueFd slave;
};

/// Window size in character cells.
struct WindowSize {
  unsigned rows = 0;
  unsigned cols = 0;
  bool operator==(const WindowSize&) const = default;
};

/// Opens a pty pair, raw slave, sized `size` when given.
Result<HostPty> open_host_pty(std::optional<WindowSize> size);

/// Connects to the engine's console socket and sends `master` there with
/// the name "/dev/ptmx", as runc does (one message, one fd, no reply).
Result<void> send_console_master(const std::string& socket_path, int master);

/// The window size of terminal `fd`, nullopt when it is not a terminal.
std::optional<WindowSize> window_size(int fd);

/// Puts a terminal in raw mode and restores its settings when destroyed.
class RawMode {
 public:
  /// Raw mode on `fd` if it is a terminal; nothing otherwise.
  explicit RawMode(int fd);
  ~RawMode();
  RawMode(const RawMode&) = delete;
  RawMode& operator=(const RawMode&) = delete;

 private:
  int fd_ = -1;
  termios saved_{};
};

}  // namespace kata::runtime
