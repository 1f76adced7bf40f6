#include "runtime/spec_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/fs.hpp"
#include "common/unique_fd.hpp"
#include "oci/spec_template.hpp"

namespace kata::runtime {

Result<void> write_default_spec(const std::string& bundle_dir, bool rootless) {
  std::string path = bundle_dir.empty() ? "config.json" : bundle_dir + "/config.json";
  // O_EXCL makes "does it exist?" and "create it" one step.
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) {
    if (errno == EEXIST) return make_error(ErrorKind::already_exists, "File {} exists. Remove it first", path);
    return sys_error(errno, "create {}", path);
  }
  auto written = write_all(fd.get(), oci::default_spec(rootless).dump(1, '\t') + "\n");
  if (!written) {
    ::unlink(path.c_str());
    return std::move(written).error().wrap(fmt::format("write {}", path));
  }
  return ok();
}

}  // namespace kata::runtime
