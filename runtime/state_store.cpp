#include "runtime/state_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <thread>

#include "common/fs.hpp"
#include "common/scope_exit.hpp"
#include "runtime/container_id.hpp"

namespace kata::runtime {

namespace {

constexpr const char* state_file_name = "state.json";
// A state.json is a few KiB; the bound keeps a corrupted or hostile file
// from exhausting memory.
constexpr std::size_t max_state_file_bytes = 1024 * 1024;
// remove() recurses once per directory level; a deeper tree is refused
// rather than risking the stack or the fd limit.
constexpr int max_remove_depth = 128;

Error container_missing() { return make_error(ErrorKind::not_found, "container does not exist"); }

Result<void> make_directories(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0 || errno == EEXIST) return ok();
  if (errno != ENOENT) return sys_error(errno, "mkdir {}", path);
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return sys_error(ENOENT, "mkdir {}", path);
  KATA_TRY(make_directories(path.substr(0, slash)));
  if (::mkdir(path.c_str(), 0700) < 0 && errno != EEXIST) return sys_error(errno, "mkdir {}", path);
  return ok();
}

Result<std::string> absolute_path(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty()) return make_error(ErrorKind::invalid_argument, "state root must not be empty");
  if (path.front() == '/') return path;
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof cwd) == nullptr) return sys_error(errno, "getcwd");
  std::string base = cwd;
  if (base != "/") base += '/';
  return base + path;
}

// Takes an exclusive flock on `fd`, polling with a growing pause until
// `timeout`. Polling rather than a blocking flock() with an alarm keeps
// signals out of a library call; the pause is capped at 20 ms, so a waiter
// notices a released lock quickly.
Result<void> flock_with_timeout(int fd, std::string_view id, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::microseconds(500);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return ok();
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return sys_error(errno, "lock container {}", id);
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(ErrorKind::timeout, "container {} is locked by another kata process (waited {} ms)", id,
                        timeout.count());
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20'000));
  }
}

// Lists the names in the directory `dir_fd` (excluding "." and ".."),
// without consuming `dir_fd`.
Result<std::vector<std::string>> directory_names(int dir_fd, const std::string& display) {
  int copy = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) return sys_error(errno, "open {}", display);
  DIR* dir = ::fdopendir(copy);
  if (dir == nullptr) {
    int saved = errno;
    ::close(copy);
    return sys_error(saved, "opendir {}", display);
  }
  ScopeExit close_dir([&] { ::closedir(dir); });
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    dirent* entry = ::readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) return sys_error(errno, "readdir {}", display);
      break;
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  return names;
}

struct EntryInfo {
  bool is_directory = false;
  bool has_mount_id = false;
  unsigned long long mount_id = 0;
};

// `name` "" with AT_EMPTY_PATH in `extra_flags` describes `dir_fd` itself.
Result<EntryInfo> entry_info(int dir_fd, const char* name, const std::string& display, int extra_flags = 0) {
  struct statx info {};
  if (::statx(dir_fd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | extra_flags, STATX_TYPE | STATX_MNT_ID, &info) <
      0) {
    return sys_error(errno, "stat {}", display);
  }
  return EntryInfo{
      .is_directory = S_ISDIR(info.stx_mode),
      .has_mount_id = (info.stx_mask & STATX_MNT_ID) != 0,
      .mount_id = info.stx_mnt_id,
  };
}

// Deletes everything inside `dir_fd`. Symlinks are unlinked, never followed
// (openat with O_NOFOLLOW); a directory on another mount is refused.
Result<void> remove_contents(int dir_fd, const std::string& display, const EntryInfo& self, int depth) {
  if (depth > max_remove_depth) {
    return make_error(ErrorKind::system, "remove {}: directory tree deeper than {} levels", display,
                      max_remove_depth);
  }
  for (const std::string& name : KATA_TRY(directory_names(dir_fd, display))) {
    std::string child = display + "/" + name;
    auto info = entry_info(dir_fd, name.c_str(), child);
    if (!info) {
      if (info.error().errno_value == ENOENT) continue;
      return std::move(info).error();
    }
    if (info->is_directory) {
      if (info->has_mount_id && self.has_mount_id && info->mount_id != self.mount_id) {
        return make_error(ErrorKind::system, "remove {}: refusing to descend into a mount point", child);
      }
      UniqueFd child_fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child_fd) return sys_error(errno, "open {}", child);
      KATA_TRY(remove_contents(child_fd.get(), child, *info, depth + 1));
      if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
        return sys_error(errno, "rmdir {}", child);
      }
    } else if (::unlinkat(dir_fd, name.c_str(), 0) < 0 && errno != ENOENT) {
      return sys_error(errno, "unlink {}", child);
    }
  }
  return ok();
}

}  // namespace

Result<StateStore> StateStore::open(std::string root) {
  std::string absolute = KATA_TRY(absolute_path(std::move(root)));
  KATA_TRY(make_directories(absolute).wrap("create state root"));
  UniqueFd fd(::open(absolute.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return sys_error(errno, "open state root {}", absolute);
  return StateStore(std::move(absolute), std::move(fd));
}

std::string StateStore::container_dir(std::string_view id) const {
  std::string dir = root_;
  if (dir != "/") dir += '/';
  dir += id;
  return dir;
}

Result<ContainerLock> StateStore::reserve(std::string_view id) {
  KATA_TRY(validate_container_id(id));
  std::string name(id);
  // mkdir is the atomic claim: of concurrent callers exactly one creates it.
  if (::mkdirat(root_fd_.get(), name.c_str(), 0700) < 0) {
    if (errno == EEXIST) return make_error(ErrorKind::already_exists, "container with id exists: {}", id);
    return sys_error(errno, "mkdir {}", container_dir(id));
  }
  ScopeExit unclaim([&] { ::unlinkat(root_fd_.get(), name.c_str(), AT_REMOVEDIR); });
  UniqueFd fd(::openat(root_fd_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return sys_error(errno, "open {}", container_dir(id));
  // The umask may have cleared bits but never adds any; set 0700 exactly so
  // a permissive umask cannot matter either.
  if (::fchmod(fd.get(), 0700) < 0) return sys_error(errno, "chmod {}", container_dir(id));
  auto lock = KATA_TRY(lock_opened(id, std::move(fd), default_lock_timeout));
  unclaim.dismiss();
  return lock;
}

Result<ContainerLock> StateStore::lock(std::string_view id, std::chrono::milliseconds timeout) {
  KATA_TRY(validate_container_id(id));
  std::string name(id);
  UniqueFd fd(::openat(root_fd_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    // ENOTDIR/ELOOP: a file or symlink with that name is not a container.
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return container_missing();
    return sys_error(errno, "open {}", container_dir(id));
  }
  return lock_opened(id, std::move(fd), timeout);
}

Result<ContainerLock> StateStore::lock_opened(std::string_view id, UniqueFd dir_fd,
                                              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string name(id);
  for (;;) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    KATA_TRY(flock_with_timeout(dir_fd.get(), id, std::max(remaining, std::chrono::milliseconds(0))));
    // While this call waited, the holder may have removed the container (the
    // directory we hold is unlinked) and someone may have created a new one
    // under the same name (the path names another inode).
    struct stat held {};
    if (::fstat(dir_fd.get(), &held) < 0) return sys_error(errno, "stat {}", container_dir(id));
    if (held.st_nlink == 0) return container_missing();
    struct stat current {};
    if (::fstatat(root_fd_.get(), name.c_str(), &current, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) return container_missing();
      return sys_error(errno, "stat {}", container_dir(id));
    }
    if (current.st_dev == held.st_dev && current.st_ino == held.st_ino) {
      return ContainerLock(std::string(id), container_dir(id), std::move(dir_fd));
    }
    if (!S_ISDIR(current.st_mode)) return container_missing();
    // A new container took the name: lock that one instead.
    dir_fd.reset(::openat(root_fd_.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir_fd) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return container_missing();
      return sys_error(errno, "open {}", container_dir(id));
    }
  }
}

Result<ContainerRecord> StateStore::load(std::string_view id) const {
  KATA_TRY(validate_container_id(id));
  std::string path = container_dir(id) + "/" + state_file_name;
  auto content = read_file(path, max_state_file_bytes);
  if (!content) {
    int error = content.error().errno_value;
    if (error == ENOENT || error == ENOTDIR) return container_missing();
    return std::move(content).error();
  }
  auto record = KATA_TRY(record_from_json(*content).wrap(path));
  if (record.id != id) {
    return make_error(ErrorKind::invalid_argument, "{}: id: \"{}\" does not match the directory name \"{}\"", path,
                      printable_container_id(record.id), id);
  }
  return record;
}

Result<void> StateStore::save(const ContainerLock& lock, const ContainerRecord& record) {
  if (record.id != lock.id()) {
    return make_error(ErrorKind::internal, "save state of container {} under the lock of {}", record.id, lock.id());
  }
  std::string path = lock.dir() + "/" + state_file_name;
  return write_file_atomic(path, record_to_json(record).dump(2) + "\n", 0600).wrap(fmt::format("save {}", path));
}

Result<std::vector<std::string>> StateStore::list_ids() const {
  std::vector<std::string> ids;
  for (std::string& name : KATA_TRY(directory_names(root_fd_.get(), root_))) {
    if (!validate_container_id(name)) continue;
    struct stat info {};
    if (::fstatat(root_fd_.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno == ENOENT) continue;  // removed while we listed
      return sys_error(errno, "stat {}", container_dir(name));
    }
    if (!S_ISDIR(info.st_mode)) continue;
    ids.push_back(std::move(name));
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<void> StateStore::remove(ContainerLock& lock) {
  EntryInfo self = KATA_TRY(entry_info(lock.dir_fd(), "", lock.dir(), AT_EMPTY_PATH));
  // state.json goes first: if a later step fails (a busy mount in share/),
  // what remains is no longer a loadable container, only leftovers that a
  // later `delete` can retry on.
  if (::unlinkat(lock.dir_fd(), state_file_name, 0) < 0 && errno != ENOENT) {
    return sys_error(errno, "unlink {}/{}", lock.dir(), state_file_name);
  }
  KATA_TRY(remove_contents(lock.dir_fd(), lock.dir(), self, 0));
  if (::unlinkat(root_fd_.get(), lock.id().c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
    return sys_error(errno, "rmdir {}", lock.dir());
  }
  return ok();
}

}  // namespace kata::runtime
