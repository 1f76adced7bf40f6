#include "agent/modules.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {

Result<std::vector<std::string>> parse_load_order(std::string_view text) {
  std::vector<std::string> names;
  std::size_t pos = 0;
  int line_number = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.find('/') != std::string_view::npos || !line.ends_with(".ko") || line.size() == 3) {
      return make_error(ErrorKind::invalid_argument, "load-order line {}: not a module file name: '{}'",
                        line_number, line);
    }
    names.emplace_back(line);
  }
  return names;
}

namespace {

bool missing(const std::string& path) { return ::access(path.c_str(), F_OK) < 0 && errno == ENOENT; }

}  // namespace

Result<ModuleLoad> load_modules(const std::string& dir, const std::string& proc_modules) {
  if (missing(dir + "/load-order") || missing(proc_modules)) return ModuleLoad{.loaded = 0, .built_in = true};
  auto text = KATA_TRY(read_file(dir + "/load-order", 64 * 1024));
  auto names = KATA_TRY(parse_load_order(text).wrap(dir + "/load-order"));
  for (const auto& name : names) {
    std::string path = dir + "/" + name;
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error(errno, "open module {}", path);
    // glibc has no finit_module wrapper; modules are stored uncompressed, so no flags.
    if (::syscall(SYS_finit_module, fd.get(), "", 0) < 0 && errno != EEXIST) {
      return sys_error(errno, "load module {}", name);
    }
  }
  return ModuleLoad{.loaded = names.size(), .built_in = false};
}

}  // namespace kata::agent
