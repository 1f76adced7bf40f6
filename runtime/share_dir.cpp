#include "runtime/share_dir.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "common/fs.hpp"

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
