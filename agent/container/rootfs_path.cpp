#include "agent/container/rootfs_path.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <string_view>

namespace kata::agent {
namespace {

constexpr int kMaxSymlinks = 40;  // as the kernel's path walk

void push_components(std::deque<std::string>& queue, std::string_view path, bool front) {
  std::deque<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) parts.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  if (front) {
    queue.insert(queue.begin(), parts.begin(), parts.end());
  } else {
    queue.insert(queue.end(), parts.begin(), parts.end());
  }
}

}  // namespace

Result<std::string> resolve_in_root(const std::string& root, const std::string& path) {
  std::deque<std::string> pending;
  push_components(pending, path, false);
  std::string resolved;  // relative to root, "" or "/a/b"
  int links = 0;
  while (!pending.empty()) {
    std::string part = std::move(pending.front());
    pending.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      auto slash = resolved.rfind('/');
      resolved.erase(slash == std::string::npos ? 0 : slash);
      continue;
    }
    std::string candidate = resolved + "/" + part;
    std::string full = root + candidate;
    struct stat st {};
    if (::lstat(full.c_str(), &st) != 0) {
      if (errno != ENOENT) return sys_error(errno, "lstat {}", full);
      resolved = candidate;  // missing: the rest is created as plain dirs/files
      continue;
    }
    if (!S_ISLNK(st.st_mode)) {
      resolved = candidate;
      continue;
    }
    if (++links > kMaxSymlinks) return sys_error(ELOOP, "resolve {} in {}", path, root);
    char target[4096];
    ssize_t n = ::readlink(full.c_str(), target, sizeof target - 1);
    if (n < 0) return sys_error(errno, "readlink {}", full);
    std::string_view link(target, static_cast<std::size_t>(n));
    if (!link.empty() && link.front() == '/') resolved.clear();
    push_components(pending, link, true);
  }
  return root + resolved;
}

Result<void> make_directories(const std::string& path) {
  for (std::size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return sys_error(errno, "mkdir {}", prefix);
    }
  }
  return ok();
}

}  // namespace kata::agent
