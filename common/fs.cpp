#include "common/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"

namespace kata {

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return sys_error(errno, "write");
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  return ok();
}

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return sys_error(errno, "open {}", path);
  std::string content;
  char buffer[16384];
  for (;;) {
    ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      return sys_error(errno, "read {}", path);
    }
    if (got == 0) break;
    if (content.size() + static_cast<std::size_t>(got) > max_bytes) {
      return make_error(ErrorKind::invalid_argument, "read {}: file is larger than {} bytes", path, max_bytes);
    }
    content.append(buffer, static_cast<std::size_t>(got));
  }
  return content;
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
  auto slash = path.rfind('/');
  std::string directory = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  // The temporary name is unique per process, so concurrent writers of the
  // same file never share one; the last rename wins whole.
  std::string temporary = fmt::format("{}/.{}.tmp.{}", directory, name, ::getpid());

  UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return sys_error(errno, "create {}", temporary);
  ScopeExit remove_temporary([&] { ::unlink(temporary.c_str()); });
  if (::fchmod(fd.get(), mode) < 0) return sys_error(errno, "chmod {}", temporary);
  KATA_TRY(write_all(fd.get(), data).wrap(fmt::format("write {}", temporary)));
  if (::fsync(fd.get()) < 0) return sys_error(errno, "fsync {}", temporary);
  fd.reset();
  if (::rename(temporary.c_str(), path.c_str()) < 0) return sys_error(errno, "rename {} to {}", temporary, path);
  remove_temporary.dismiss();

  UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return sys_error(errno, "open directory {}", directory);
  if (::fsync(dir.get()) < 0) return sys_error(errno, "fsync directory {}", directory);
  return ok();
}

}  // namespace kata
