#pragma once
// Boot-progress and error lines on the guest console. They carry the time
// since the kernel started (CLOCK_BOOTTIME), which the host later parses for
// boot timings: "kata-agent: [  0.812] modules loaded (5)".

#include <fmt/format.h>

#include <string_view>

namespace kata::agent {

/// Makes fds 0, 1 and 2 the console (/dev/console), opening it if the kernel
/// could not hand one to /init. Needs /dev mounted when the initramfs has no
/// /dev/console node. Failure is silent: there is nowhere to report it.
void attach_console();

/// Seconds since the kernel started booting.
double seconds_since_boot();

/// Writes one line "kata-agent: [seconds] text" to the console (fd 2).
void console_line(std::string_view text);

/// Formats and writes one console line.
template <typename... Args>
void console_log(fmt::format_string<Args...> format, Args&&... args) {
  console_line(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace kata::agent
