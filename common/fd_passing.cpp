#include "common/fd_passing.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cstring>

namespace kata {

namespace {
constexpr std::size_t max_line = 1024 * 1024;  // a pod member's guest spec travels in one line
using Clock = std::chrono::steady_clock;
}  // namespace

Result<void> send_with_fds(int socket_fd, std::string_view payload, std::span<const int> fds) {
  if (payload.empty()) return make_error(ErrorKind::invalid_argument, "send_with_fds: empty payload");
  if (fds.size() > max_passed_fds)
    return make_error(ErrorKind::invalid_argument, "send_with_fds: {} fds, at most {}", fds.size(), max_passed_fds);
  iovec iov{const_cast<char*>(payload.data()), payload.size()};
  msghdr message{};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_passed_fds)] = {};
  if (!fds.empty()) {
    // Exactly CMSG_SPACE(n * sizeof(int)): conmon and go-runc check the
    // control length of a one-fd message strictly.
    message.msg_control = control;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
  }
  std::size_t sent = 0;
  while (sent < payload.size()) {
    ssize_t n = ::sendmsg(socket_fd, &message, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(errno, "sendmsg");
    sent += static_cast<std::size_t>(n);
    // The fds went with the first bytes; the rest is plain data.
    iov.iov_base = const_cast<char*>(payload.data()) + sent;
    iov.iov_len = payload.size() - sent;
    message.msg_control = nullptr;
    message.msg_controllen = 0;
  }
  return ok();
}

Result<LineWithFds> receive_line_with_fds(int socket_fd, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  LineWithFds received;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return make_error(ErrorKind::timeout, "no complete line within {} ms", timeout.count());
    pollfd pfd{socket_fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return sys_error(errno, "poll");
    if (ready == 0) continue;
    char buffer[4096];
    iovec iov{buffer, sizeof buffer};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * max_passed_fds)];
    msghdr message{};
    message.msg_iov = &iov;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t got = ::recvmsg(socket_fd, &message, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got < 0) return sys_error(errno, "recvmsg");
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
      if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
      std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof fd);
        received.fds.emplace_back(fd);  // owned (and closed) even when refused below
      }
    }
    if (message.msg_flags & MSG_CTRUNC) return make_error(ErrorKind::protocol, "too many file descriptors passed");
    if (received.fds.size() > max_passed_fds)
      return make_error(ErrorKind::protocol, "{} file descriptors passed, at most {}", received.fds.size(),
                        max_passed_fds);
    if (got == 0) return make_error(ErrorKind::protocol, "connection closed before a complete line");
    received.line.append(buffer, static_cast<std::size_t>(got));
    if (auto newline = received.line.find('\n'); newline != std::string::npos) {
      received.line.resize(newline);
      return received;
    }
    if (received.line.size() > max_line) return make_error(ErrorKind::protocol, "line longer than {} bytes", max_line);
  }
}

}  // namespace kata
