#include "agent/container/mount_targets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/container/mount_options.hpp"
#include "agent/container/rootfs_path.hpp"
#include "common/unique_fd.hpp"

namespace kata::agent {
namespace {

std::optional<std::uint32_t> host_id_of_zero(const std::vector<oci::IdMapping>& mappings) {
  for (const auto& m : mappings) {
    if (m.container_id == 0 && m.size > 0) return m.host_id;
  }
  return std::nullopt;
}

// Whether `path` is `covering` or below it, by their text (both absolute).
bool at_or_below(const std::string& path, std::string covering) {
  while (covering.size() > 1 && covering.back() == '/') covering.pop_back();
  if (covering == "/") return true;
  return path == covering || (path.size() > covering.size() && path.compare(0, covering.size(), covering) == 0 &&
                              path[covering.size()] == '/');
}

std::vector<std::string> components(const std::string& relative) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < relative.size()) {
    auto end = relative.find('/', start);
    if (end == std::string::npos) end = relative.size();
    if (end > start) parts.push_back(relative.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

Result<void> give_to(int dir_fd, const std::string& name, const std::optional<MappedRoot>& owner,
                     const std::string& what) {
  if (owner && ::fchownat(dir_fd, name.c_str(), owner->uid, owner->gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return sys_error(errno, "chown {} to {}:{}", what, owner->uid, owner->gid);
  }
  return ok();
}

// Creates what is missing of `destination` (a container path) in `rootfs`.
Result<void> create_target(const std::string& rootfs, const std::string& destination, bool file,
                           const std::optional<MappedRoot>& owner) {
  auto resolved = KATA_TRY(resolve_in_root(rootfs, destination));
  auto parts = components(resolved.substr(rootfs.size()));
  UniqueFd dir(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return sys_error(errno, "open rootfs {}", rootfs);
  std::string walked;
  for (std::size_t n = 0; n < parts.size(); ++n) {
    const std::string& name = parts[n];
    walked += "/" + name;
    bool last = n + 1 == parts.size();
    if (last && file) {
      int fd = ::openat(dir.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0 && errno == EEXIST) return ok();
      if (fd < 0) return sys_error(errno, "create {}", walked);
      ::close(fd);
      return give_to(dir.get(), name, owner, walked);
    }
    // O_NOFOLLOW on an O_PATH open refuses nothing by itself; O_DIRECTORY
    // then fails on a symlink (ENOTDIR), which resolve_in_root had removed.
    UniqueFd next(::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next && errno == ENOENT) {
      if (::mkdirat(dir.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return sys_error(errno, "mkdir {}", walked);
      }
      KATA_TRY(give_to(dir.get(), name, owner, walked));
      next.reset(::openat(dir.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    }
    if (!next) return sys_error(errno, "open {} in the rootfs", walked);
    dir = std::move(next);
  }
  return ok();
}

// A bind mount of something other than a directory mounts on a file.
bool binds_a_file(const oci::Mount& mount) {
  auto options = parse_mount_options(mount.options.value_or(std::vector<std::string>{}));
  if (!options.bind() || !mount.source) return false;
  struct stat st {};
  return ::stat(mount.source->c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

}  // namespace

std::optional<MappedRoot> mapped_root(const std::vector<oci::IdMapping>& uid_mappings,
                                      const std::vector<oci::IdMapping>& gid_mappings) {
  auto uid = host_id_of_zero(uid_mappings);
  auto gid = host_id_of_zero(gid_mappings);
  if (!uid || !gid) return std::nullopt;
  return MappedRoot{static_cast<uid_t>(*uid), static_cast<gid_t>(*gid)};
}

Result<void> create_mount_targets(const oci::Spec& spec, const std::optional<MappedRoot>& owner) {
  const std::string& rootfs = spec.root->path;
  std::vector<std::string> mounted;  // destinations of the mounts before the current one
  auto covered = [&](const std::string& path) {
    for (const auto& earlier : mounted) {
      if (at_or_below(path, earlier)) return true;
    }
    return false;
  };
  if (spec.mounts) {
    for (const auto& mount : *spec.mounts) {
      if (!covered(mount.destination)) {
        KATA_TRY(create_target(rootfs, mount.destination, binds_a_file(mount), owner)
                     .wrap(fmt::format("mount point {}", mount.destination)));
      }
      mounted.push_back(mount.destination);
    }
  }
  if (spec.process && !spec.process->cwd.empty() && !covered(spec.process->cwd)) {
    KATA_TRY(create_target(rootfs, spec.process->cwd, false, owner).wrap("cwd"));
  }
  return ok();
}

}  // namespace kata::agent
