#include "runtime/share_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "common/fs.hpp"
#include "common/unique_fd.hpp"

namespace kata::runtime {

std::string unescape_mountinfo(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      auto digits = field.substr(i + 1, 3);
      if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out.push_back(static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

Result<void> bind_share_mounts(const std::string& share_dir, const std::vector<ShareMount>& mounts) {
  for (const auto& mount : mounts) {
    std::string target = share_dir + "/" + mount.target;
    struct stat source_stat {};
    if (::stat(mount.source.c_str(), &source_stat) < 0) return sys_error(errno, "bind mount source {}", mount.source);
    std::error_code ec;
    std::filesystem::path target_path(target);
    std::filesystem::create_directories(target_path.parent_path(), ec);
    if (ec) return sys_error(ec.value(), "mkdir {}", target_path.parent_path().string());
    if (S_ISDIR(source_stat.st_mode)) {
      if (::mkdir(target.c_str(), 0755) < 0 && errno != EEXIST) return sys_error(errno, "mkdir {}", target);
    } else {
      int fd = ::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0) return sys_error(errno, "create {}", target);
      ::close(fd);
    }
    if (::mount(mount.source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
      return sys_error(errno, "bind mount {} on {}", mount.source, target);
  }
  return ok();
}

std::vector<std::string> mount_points_below(std::string_view mountinfo, const std::string& dir) {
  std::vector<std::string> points;
  std::istringstream in{std::string(mountinfo)};
  for (std::string line; std::getline(in, line);) {
    // Fields: id parent major:minor root mount-point ...
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    if (!(fields >> id >> parent >> device >> root >> mount_point)) continue;
    auto path = unescape_mountinfo(mount_point);
    if (path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/'))
      points.push_back(path);
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return points;
}

Result<void> make_share_mount(const std::string& share_dir) {
  if (::mount(share_dir.c_str(), share_dir.c_str(), nullptr, MS_BIND, nullptr) < 0)
    return sys_error(errno, "bind {} on itself", share_dir);
  if (::mount(nullptr, share_dir.c_str(), nullptr, MS_SHARED, nullptr) < 0)
    return sys_error(errno, "make {} a shared mount", share_dir);
  return ok();
}

Result<void> unmount_below(const std::string& dir) {
  // A mount stacked several times shows up once per layer; repeat until none is left.
  for (int round = 0; round < 16; ++round) {
    auto mountinfo = KATA_TRY(read_file("/proc/self/mountinfo", 64U << 20));
    auto points = mount_points_below(mountinfo, dir);
    if (points.empty()) return ok();
    for (const auto& point : points) {
      if (::umount2(point.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return sys_error(errno, "unmount {}", point);
    }
  }
  return make_error(ErrorKind::system, "mounts below {} remain after repeated unmounting", dir);
}

}  // namespace kata::runtime

namespace kata::runtime {

namespace {

// Removes `name` in `dir_fd` if it is what bind_share_mounts made: an empty
// file, or a directory holding only such entries. Anything else (data, a
// mount still attached) stops the removal with an error: nothing is lost.
Result<void> remove_made_entry(int dir_fd, const std::string& name, const std::string& display, int depth) {
  struct stat info {};
  if (::fstatat(dir_fd, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return ok();
    return sys_error(errno, "stat {}", display);
  }
  if (!S_ISDIR(info.st_mode)) {
    if (!S_ISREG(info.st_mode) || info.st_size != 0)
      return make_error(ErrorKind::system, "remove {}: not an empty mount point", display);
    if (::unlinkat(dir_fd, name.c_str(), 0) < 0 && errno != ENOENT) return sys_error(errno, "unlink {}", display);
    return ok();
  }
  if (depth > 16) return make_error(ErrorKind::system, "remove {}: too deep", display);
  UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_error(errno, "open {}", display);
  std::vector<std::string> names;
  {
    UniqueFd listing(::dup(fd.get()));
    DIR* stream = listing ? ::fdopendir(listing.get()) : nullptr;
    if (!stream) return sys_error(errno, "list {}", display);
    (void)listing.release();
    while (auto* entry = ::readdir(stream)) {
      std::string child = entry->d_name;
      if (child != "." && child != "..") names.push_back(child);
    }
    ::closedir(stream);
  }
  for (const auto& child : names) KATA_TRY(remove_made_entry(fd.get(), child, display + "/" + child, depth + 1));
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) return sys_error(errno, "rmdir {}", display);
  return ok();
}

}  // namespace

Result<void> remove_share_entry(const std::string& share_dir, const std::string& id) {
  std::string entry = share_dir + "/" + id;
  KATA_TRY(unmount_below(entry));
  UniqueFd share(::open(share_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!share) {
    if (errno == ENOENT) return ok();  // the sandbox is gone, and its share with it
    return sys_error(errno, "open {}", share_dir);
  }
  return remove_made_entry(share.get(), id, entry, 0);
}

}  // namespace kata::runtime
