#include "agent/placeholder_service.hpp"

#include <dirent.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>

#include "agent/signals.hpp"
#include "common/fs.hpp"

namespace kata::agent {

namespace {

constexpr std::size_t max_line = 256;

Result<std::size_t> count_entries(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return sys_error(errno, "open {}", path);
  std::size_t count = 0;
  while (dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") ++count;
  }
  ::closedir(dir);
  return count;
}

}  // namespace

Result<void> run_placeholder_service(int port_fd, int signal_fd, const std::string& shared_dir) {
  std::string pending;
  bool host_connected = true;
  while (true) {
    // While no host is connected the port polls as POLLHUP at once, so it is
    // left out and rechecked every 20 ms instead of spinning.
    pollfd fds[2] = {{signal_fd, POLLIN, 0}, {host_connected ? port_fd : -1, POLLIN, 0}};
    int ready = ::poll(fds, 2, host_connected ? -1 : 20);
    if (ready < 0 && errno != EINTR) return sys_error(errno, "poll");
    if (fds[0].revents != 0 && handle_signals(signal_fd) == SignalAction::power_off) return ok();
    if (!host_connected) {
      host_connected = true;
      continue;
    }
    if (fds[1].revents == 0) continue;

    char buffer[512];
    ssize_t got = ::read(port_fd, buffer, sizeof buffer);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got < 0 && errno != EPIPE) return sys_error(errno, "read agent port");
    if (got <= 0) {  // host closed its end: drop partial input, wait for a new connection
      pending.clear();
      host_connected = false;
      continue;
    }
    pending.append(buffer, static_cast<std::size_t>(got));

    std::size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      std::string reply;
      if (line == "ping") {
        auto entries = count_entries(shared_dir);
        reply = entries ? "pong " + std::to_string(*entries) + "\n" : "error " + entries.error().message + "\n";
      } else if (line == "poweroff") {
        return ok();
      } else {
        reply = "error unknown command\n";
      }
      // A failed reply (host gone) is not fatal: the next read sees the hang-up.
      (void)write_all(port_fd, reply);
    }
    if (pending.size() > max_line) {
      pending.clear();
      (void)write_all(port_fd, "error line too long\n");
    }
  }
}

}  // namespace kata::agent
