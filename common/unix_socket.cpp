#include "common/unix_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace kata {

namespace {

// An address for `path`, plus the directory fd that must stay open while the
// address is used when the path had to be shortened through /proc/self/fd.
struct UnixAddress {
  sockaddr_un address{};
  UniqueFd directory;
};

Result<UnixAddress> make_address(const std::string& path) {
  UnixAddress result;
  result.address.sun_family = AF_UNIX;
  std::string usable = path;
  if (path.size() >= sizeof result.address.sun_path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) {
      return make_error(ErrorKind::invalid_argument, "socket name {} is too long", path);
    }
    std::string parent = slash == 0 ? "/" : path.substr(0, slash);
    result.directory.reset(::open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!result.directory) return sys_error(errno, "open socket directory {}", parent);
    usable = fmt::format("/proc/self/fd/{}/{}", result.directory.get(), path.substr(slash + 1));
    if (usable.size() >= sizeof result.address.sun_path) {
      return make_error(ErrorKind::invalid_argument, "socket name {} is too long", path);
    }
  }
  std::memcpy(result.address.sun_path, usable.c_str(), usable.size() + 1);
  return result;
}

}  // namespace

Result<UniqueFd> connect_unix_socket(const std::string& path) {
  auto address = KATA_TRY(make_address(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error(errno, "socket");
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.address), sizeof address.address);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return sys_error(errno, "connect {}", path);
  return fd;
}

Result<UniqueFd> listen_unix_socket(const std::string& path) {
  auto address = KATA_TRY(make_address(path));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error(errno, "socket");
  // The socket file is created with the umask applied; fchmod of a socket fd
  // has no effect on the file, so narrow the umask around bind instead.
  mode_t old_mask = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.address), sizeof address.address);
  int bind_errno = errno;
  ::umask(old_mask);
  if (rc < 0) return sys_error(bind_errno, "bind {}", path);
  if (::listen(fd.get(), 16) < 0) return sys_error(errno, "listen {}", path);
  return fd;
}

}  // namespace kata
