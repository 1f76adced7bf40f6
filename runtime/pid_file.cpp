#include "runtime/pid_file.hpp"

#include <filesystem>

#include "common/fs.hpp"

namespace kata::runtime {

std::string format_pid_file(pid_t pid) { return std::to_string(pid); }

Result<void> write_pid_file(const std::string& path, pid_t pid) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(path, ec);
  if (ec) return sys_error(ec.value(), "pid file {}", path);
  return write_file_atomic(absolute.string(), format_pid_file(pid), 0644).wrap("write pid file");
}

}  // namespace kata::runtime
